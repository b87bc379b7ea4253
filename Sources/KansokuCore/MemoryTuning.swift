/// Settings of the C allocator for a long-running server.
public enum MemoryTuning {
    /// Makes glibc serve every allocation of 128 KiB or more (request bodies, WAL batches,
    /// blocks being cut or decoded) from its own mapping, unmapped when freed.
    ///
    /// By default glibc raises that threshold each time such a mapping is freed, up to 32 MiB,
    /// after which these buffers come from the per-thread arenas; a server that allocates them
    /// on many threads all day then holds freed, fragmented arena memory it never returns, and
    /// its RSS creeps up under steady load. A fixed threshold turns that adjustment off.
    public static func returnLargeBuffersToTheSystem() {
        #if os(Linux) && canImport(Glibc)
        let mmapThreshold: Int32 = -3                      // M_MMAP_THRESHOLD in malloc.h
        _ = kansoku_mallopt(mmapThreshold, 128 * 1024)
        #endif
    }
}

#if os(Linux) && canImport(Glibc)
/// glibc's `mallopt`, which the Glibc module does not export (it lives in malloc.h).
@_silgen_name("mallopt")
private func kansoku_mallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
