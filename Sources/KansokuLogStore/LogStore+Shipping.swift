import KansokuCore

extension LogStore {
    /// Closes the segment files chunks are being appended to, so everything written so far
    /// sits in files that never change again; later chunks start new files. An ingester
    /// calls this before copying the store to object storage.
    public func sealSegments() async {
        await segments.run { [segments] in segments.closeAll() }
    }

    /// What an ingester ships, per tenant: each tenant's segment files no longer appended to
    /// (immutable), and each period's index narrowed to the tenant's streams, which changes on
    /// every flush. Every object of a tenant's is below its own prefix in the bucket, and the
    /// objects under one tenant's prefix form a store directory of their own.
    ///
    /// A segment file written before tenants had their own files is shipped with a tenant
    /// only when every chunk the indexes name in it is that tenant's; otherwise it stays
    /// local, and its chunks are answered from the ingester.
    public func shippableFiles() throws(LogStoreError) -> [ShippableFile] {
        let periods = config.directory + "/periods"
        let periodNames: [String]
        do throws(FileIOError) { periodNames = try FileIO.listDirectory(periods) } catch { throw .io(error) }
        let indexes = state.withLock { $0.periods }
        // Who owns the chunks of each file the indexes name.
        var owners: [String: Set<String>] = [:]
        for p in indexes.values {
            for s in p.streams.values { for c in s.chunks { owners[c.file, default: []].insert(s.tenant) } }
        }
        var files: [ShippableFile] = []
        for period in periodNames.sorted() {
            guard let start = Int64(period), let names = try? FileIO.listDirectory(periods + "/" + period) else { continue }
            let folder = SegmentFiles.periodFolder(start)
            for name in names.sorted() {
                guard let parsed = SegmentFiles.parseFileName(name) else { continue }
                let relative = folder + "/" + name
                guard !segments.isOpenForAppend(relative) else { continue }
                if let tenant = parsed.tenant {
                    files.append(ShippableFile(tenant: tenant, relativePath: relative, contents: nil))
                } else if let only = owners[relative], only.count == 1 {
                    files.append(ShippableFile(tenant: only.first!, relativePath: relative, contents: nil))
                }
            }
            guard let index = indexes[start] else { continue }
            for tenant in index.tenants {
                files.append(ShippableFile(tenant: tenant, relativePath: folder + "/index", contents: IndexFile.encode(index.narrowed(to: tenant))))
            }
        }
        return files
    }
}

/// One object an ingester ships: a file of the store as it is on disk, or a period's index
/// narrowed to one tenant.
public struct ShippableFile: Sendable, Equatable {
    /// Whose objects it belongs with.
    public let tenant: String
    /// Relative to the store directory; also its key below the tenant's prefix.
    public let relativePath: String
    /// The bytes to ship when they are not the file's own (an index); nil for a segment file,
    /// which never changes once it is no longer appended to.
    public let contents: [UInt8]?

    /// Whether the object never changes (a segment file).
    public var immutable: Bool { contents == nil }
}
