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
        // Who owns the chunks of each file the indexes name, and where they are.
        var owners: [String: Set<String>] = [:]
        var chunks: [String: [Int64: Int]] = [:]
        for p in indexes.values {
            for s in p.streams.values {
                for c in s.chunks {
                    owners[c.file, default: []].insert(s.tenant)
                    chunks[c.file, default: [:]][c.offset] = c.length
                }
            }
        }
        var files: [ShippableFile] = []
        for period in periodNames.sorted() {
            guard let start = Int64(period), let names = try? FileIO.listDirectory(periods + "/" + period) else { continue }
            let folder = SegmentFiles.periodFolder(start)
            for name in names.sorted() {
                guard let parsed = SegmentFiles.parseFileName(name) else { continue }
                let relative = folder + "/" + name
                guard !segments.isOpenForAppend(relative) else { continue }
                guard let tenant = parsed.tenant ?? owners[relative].flatMap({ $0.count == 1 ? $0.first : nil }) else { continue }
                files.append(ShippableFile(tenant: tenant, relativePath: relative, contents: nil))
                if let index = filterIndex(ofSegment: relative, chunks: chunks[relative] ?? [:]) {
                    files.append(ShippableFile(tenant: tenant, relativePath: index, contents: nil))
                }
            }
            guard let index = indexes[start] else { continue }
            for tenant in index.tenants {
                files.append(ShippableFile(tenant: tenant, relativePath: folder + "/index", contents: IndexFile.encode(index.narrowed(to: tenant))))
            }
        }
        return files
    }

    /// The segment filter index beside a sealed segment file (built the first time), for
    /// queriers; nil when there is none. Without it a querier fetches each chunk's filter
    /// partitions itself, so a failure to build it (the file just deleted by compaction, a
    /// full disk) only costs requests; the next pass tries again.
    private func filterIndex(ofSegment relative: String, chunks: [Int64: Int]) -> String? {
        guard let index = SegmentFilterIndex.path(ofSegment: relative) else { return nil }
        let path = config.directory + "/" + index
        if (try? FileIO.fileSize(path: path)) != nil { return index }
        do throws(LogStoreError) {
            let bytes = try SegmentFilterIndex.build(segment: config.directory + "/" + relative, chunks: chunks.map { ($0.key, $0.value) })
            do throws(FileIOError) { try FileIO.writeAtomically(bytes, to: path) } catch { throw .io(error) }
            return index
        } catch {
            logger.warning("building a segment's filter index failed", metadata: ["file": "\(relative)", "error": "\(error)"])
            return nil
        }
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
