import Dispatch
import KansokuCore
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes closed chunks to append-only segment files (one folder per period, one series of
/// files per tenant in it), on its own serial queue off the cooperative pool; then records
/// them in the index, persists the index, and removes WAL segments whose data is all in
/// flushed chunks (the checkpoint).
///
/// A tenant's chunks never share a file with another tenant's, so each tenant's files can be
/// shipped under its own prefix in a bucket.
final class SegmentFiles: Sendable {
    let directory: String
    let fileSize: Int
    private let queue = DispatchQueue(label: "kansoku.logstore.segments")
    private let files = Mutex<[Key: OpenSegment]>([:])

    /// A period's file series for one tenant.
    struct Key: Hashable {
        var period: Int64
        var tenant: String
    }
    private let logger: Logger

    struct OpenSegment {
        var fd: Int32
        var relativePath: String
        var number: Int
        var size: Int64
    }

    init(directory: String, fileSize: Int, logger: Logger) {
        self.directory = directory
        self.fileSize = fileSize
        self.logger = logger
    }

    static func periodFolder(_ start: Int64) -> String { "periods/\(start)" }

    /// Separates the tenant from the number in a segment file's name (`<tenant>~000001.seg`):
    /// a tenant ID never holds it.
    static let tenantSeparator: Character = "~"

    /// The name of `tenant`'s segment file `number` in a period folder.
    static func fileName(tenant: String, number: Int) -> String {
        let digits = String(number)
        return tenant + String(tenantSeparator) + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".seg"
    }

    /// The tenant and number of a segment file's name; the tenant is nil for a file written
    /// before tenants had their own files (`000001.seg`, any tenant's chunks).
    static func parseFileName(_ name: String) -> (tenant: String?, number: Int)? {
        guard name.hasSuffix(".seg") else { return nil }
        let stem = name.dropLast(4)
        guard let separator = stem.lastIndex(of: tenantSeparator) else { return Int(stem).map { (nil, $0) } }
        guard let number = Int(stem[stem.index(after: separator)...]), separator > stem.startIndex else { return nil }
        return (String(stem[..<separator]), number)
    }

    func enqueue(_ chunks: [ClosedChunk], store: LogStore) {
        queue.async { store.flushSynchronously(chunks) }
    }

    /// Runs `body` on the segment queue, after everything enqueued before; does not wait.
    func async(_ body: @escaping @Sendable () -> Void) { queue.async(execute: body) }

    /// Runs `body` on the segment queue, after everything enqueued before (so it never
    /// interleaves with writing chunks), and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in queue.async { c.resume(returning: body()) } }
    }

    /// Whether `relative` is the file a period's next chunks are appended to.
    func isOpenForAppend(_ relative: String) -> Bool {
        files.withLock { f in f.values.contains { $0.relativePath == relative } }
    }

    /// Returns once everything enqueued before has been written.
    func barrier() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in queue.async { c.resume() } }
    }

    /// Appends `bytes` (a chunk of `tenant`'s) to the tenant's current segment file of the
    /// period; returns file and offset.
    func append(_ bytes: [UInt8], period: Int64, tenant: String) throws(LogStoreError) -> (file: String, offset: Int64) {
        let key = Key(period: period, tenant: tenant)
        var seg = try files.withLock { (f) throws(LogStoreError) -> OpenSegment in
            if let s = f[key], s.size < Int64(fileSize) { return s }
            if let s = f[key] { FileIO.close(s.fd) }
            let folder = SegmentFiles.periodFolder(period)
            do throws(FileIOError) {
                try FileIO.makeDirectories(directory + "/" + folder)
                let existing = try FileIO.listDirectory(directory + "/" + folder).compactMap { n in
                    SegmentFiles.parseFileName(n).flatMap { $0.tenant == tenant ? $0.number : nil }
                }
                let number = (existing.max() ?? 0) + 1
                let rel = folder + "/" + SegmentFiles.fileName(tenant: tenant, number: number)
                let fd = try FileIO.open(directory + "/" + rel, flags: O_WRONLY | O_CREAT | O_TRUNC)
                try FileIO.fsyncDirectory(directory + "/" + folder)
                let s = OpenSegment(fd: fd, relativePath: rel, number: number, size: 0)
                f[key] = s
                return s
            } catch { throw .io(error) }
        }
        let offset = seg.size
        do throws(FileIOError) { try FileIO.pwriteAll(seg.fd, bytes, at: offset, path: directory + "/" + seg.relativePath) } catch { throw .io(error) }
        seg.size += Int64(bytes.count)
        let updated = seg
        files.withLock { $0[key] = updated }
        return (seg.relativePath, offset)
    }

    func syncAll() throws(LogStoreError) {
        let open = files.withLock { Array($0.values) }
        for s in open {
            do throws(FileIOError) { try FileIO.fsync(s.fd, path: directory + "/" + s.relativePath) } catch { throw .io(error) }
        }
    }

    /// Closes the files of a period (before retention deletes it).
    func forget(period: Int64) {
        files.withLock { f in
            for key in f.keys where key.period == period {
                if let s = f.removeValue(forKey: key) { FileIO.close(s.fd) }
            }
        }
    }

    func closeAll() {
        files.withLock { f in
            for s in f.values { FileIO.close(s.fd) }
            f.removeAll()
        }
    }
}

extension LogStore {
    /// Replaces a period's index file atomically. Creates the period's folder first: a period
    /// has index entries (streams registered by appends) before any of its chunks is written,
    /// and compaction or retention may persist it then.
    func persistIndex(period start: Int64, _ bytes: [UInt8]) throws(LogStoreError) {
        let folder = config.directory + "/" + SegmentFiles.periodFolder(start)
        do throws(FileIOError) {
            try FileIO.makeDirectories(folder)
            try FileIO.writeAtomically(bytes, to: folder + "/index")
        } catch { throw .io(error) }
    }

    /// Encodes and persists indexes taken with `StoreState.takeDirtyIndexes`, outside the lock.
    func persistIndexes(_ dirty: [(start: Int64, index: PeriodIndex)]) throws(LogStoreError) {
        for (start, index) in dirty { try persistIndex(period: start, IndexFile.encode(index)) }
    }

    /// Writes closed chunks, indexes them, persists the index, and checkpoints the WAL.
    /// Runs on the segment queue (or during open, before the store is shared).
    func flushSynchronously(_ chunks: [ClosedChunk]) {
        do throws(LogStoreError) {
            var written: [(ClosedChunk, ChunkRef)] = []
            for c in chunks where !c.blocks.isEmpty {
                let bytes = ChunkFormat.encode(stream: c.stream, blocks: c.blocks)
                let minT = c.blocks.map(\.minTime).min() ?? 0
                let maxT = c.blocks.map(\.maxTime).max() ?? 0
                let (period, tenant) = state.withLock { ($0.periodStart(minT, length: config.periodLength), $0.streams[c.stream]?.tenant) }
                // A stream no longer known would not be indexed below: nothing to write.
                guard let tenant else { continue }
                let (file, offset) = try segments.append(bytes, period: period, tenant: tenant)
                written.append((c, ChunkRef(file: file, offset: offset, length: bytes.count, minTime: minT, maxTime: maxT,
                                            entries: c.blocks.reduce(0) { $0 + $1.entryCount },
                                            rawSize: c.blocks.reduce(0) { $0 + $1.rawSize },
                                            withoutMetadata: c.blocks.allSatisfy(\.withoutMetadata))))
            }
            if config.fsync != .never { try segments.syncAll() }
            let dirty = state.withLock { st in
                for (c, ref) in written {
                    guard var s = st.streams[c.stream] else { continue }
                    let periods = Set(c.blocks.map { st.periodStart($0.minTime, length: config.periodLength) })
                    for p in periods.sorted() {
                        let inPeriod = c.blocks.filter { st.periodStart($0.minTime, length: config.periodLength) == p }
                        st.periods[p, default: PeriodIndex(start: p)].register(
                            id: s.id, tenant: s.tenant, labels: s.labels,
                            minTime: inPeriod.map(\.minTime).min() ?? ref.minTime, maxTime: inPeriod.map(\.maxTime).max() ?? ref.maxTime)
                        st.periods[p]?.addChunk(id: s.id, ref: ref, mark: c.walMark)
                    }
                    s.closing.removeAll { $0.generation == c.generation }
                    st.streams[c.stream] = s
                }
                return st.takeDirtyIndexes()
            }
            try persistIndexes(dirty)
            let needed = state.withLock { st in st.streams.values.compactMap(\.oldestNeededSegment).min() }
            try wal.removeSegments(before: needed ?? wal.currentSegment)
        } catch {
            logger.error("writing chunks failed; their data stays in the WAL", metadata: ["error": "\(error)"])
        }
    }
}
