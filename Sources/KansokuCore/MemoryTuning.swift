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

    /// Gives the pages of freed memory inside glibc's arenas back to the system.
    ///
    /// glibc returns only the free top of each arena by itself; freed chunks below live data
    /// (request bodies and blocks freed while newer, long-lived allocations sit above them)
    /// stay resident. Under sustained push that was tens of MiB, varying with what the
    /// arenas' tops held, so RSS drifted with no live data to show for it. Walking the
    /// arenas takes a few milliseconds; the housekeeping pass calls it every 30 s.
    public static func releaseFreeMemory() {
        #if os(Linux) && canImport(Glibc)
        _ = kansoku_malloc_trim(0)
        #endif
    }
}

#if os(Linux) && canImport(Glibc)
/// glibc's `mallopt`, which the Glibc module does not export (it lives in malloc.h).
@_silgen_name("mallopt")
private func kansoku_mallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// glibc's `malloc_trim` (malloc.h as well).
@_silgen_name("malloc_trim")
private func kansoku_malloc_trim(_ pad: Int) -> Int32
#endif
