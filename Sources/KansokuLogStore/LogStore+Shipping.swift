import KansokuCore

extension LogStore {
    /// Closes the segment files chunks are being appended to, so everything written so far
    /// sits in files that never change again; later chunks start new files. An ingester
    /// calls this before copying the store to object storage.
    public func sealSegments() async {
        await segments.run { [segments] in segments.closeAll() }
    }

    /// The store's files that are complete as they stand, relative to its directory: segment
    /// files no longer appended to (immutable), and each period's index, which is replaced
    /// whole on every flush.
    public func shippableFiles() throws(LogStoreError) -> [(relativePath: String, immutable: Bool)] {
        var files: [(relativePath: String, immutable: Bool)] = []
        let periods = config.directory + "/periods"
        let periodNames: [String]
        do throws(FileIOError) { periodNames = try FileIO.listDirectory(periods) } catch { throw .io(error) }
        for period in periodNames {
            let folder = SegmentFiles.periodFolder(Int64(period) ?? 0)
            guard Int64(period) != nil, let names = try? FileIO.listDirectory(periods + "/" + period) else { continue }
            for name in names.sorted() where name.hasSuffix(".seg") {
                let relative = folder + "/" + name
                if !segments.isOpenForAppend(relative) { files.append((relative, true)) }
            }
            if names.contains("index") { files.append((folder + "/index", false)) }
        }
        return files
    }
}
