import Dispatch
import KansokuCore
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The write-ahead log: numbered segment files of framed records, written and fsynced by one
/// serial I/O queue (off the cooperative pool). Appenders enqueue encoded records and await
/// their sequence number; the queue writes everything pending, fsyncs once, and resumes every
/// appender the fsync covered (group commit).
final class WriteAheadLog: Sendable {
    let directory: String
    let mode: FsyncMode
    let segmentSize: Int
    private let queue = DispatchQueue(label: "kansoku.logstore.wal")
    private let state: Mutex<State>
    private let logger: Logger

    private struct Part {
        var segment: Int
        var seq: UInt64
        var bytes: [UInt8]
    }

    private struct Waiter {
        var seq: UInt64
        var continuation: CheckedContinuation<Result<Void, LogStoreError>, Never>
    }

    private struct State {
        var pending: [Part] = []
        var lastSeq: UInt64 = 0
        var durableSeq: UInt64 = 0
        var waiters: [Waiter] = []
        var segment: Int
        var segmentBytes = 0
        var segmentRecords = 0
        var draining = false
        var failure: LogStoreError?
        /// Bytes enqueued per segment still on disk: what a checkpoint weighs.
        var sizes: [Int: Int] = [:]
        // Owned by the I/O queue: the open segment file.
        var fd: Int32 = -1
        var fdSegment = -1
    }

    /// Opens the WAL for appending in segment `firstSegment`; `existing` are the sizes of the
    /// older segments still on disk (replayed, not yet checkpointed).
    init(directory: String, mode: FsyncMode, segmentSize: Int, firstSegment: Int, existing: [Int: Int], logger: Logger) {
        self.directory = directory
        self.mode = mode
        self.segmentSize = segmentSize
        self.logger = logger
        var s = State(segment: firstSegment)
        s.sizes = existing
        state = Mutex(s)
    }

    static func segmentName(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".wal"
    }

    func path(of segment: Int) -> String { directory + "/" + WriteAheadLog.segmentName(segment) }

    /// The segment numbers present on disk, ascending.
    static func segments(in directory: String) throws(LogStoreError) -> [Int] {
        try FileIO.listDirectory(directory).compactMap { name in
            name.hasSuffix(".wal") ? Int(name.dropLast(4)) : nil
        }.sorted()
    }

    /// Enqueues one append call's `records` framed records. Returns the segment they go to, the
    /// index of the first of them in that segment, and the sequence number to wait for.
    func enqueue(_ bytes: [UInt8], records: Int) -> (segment: Int, firstRecord: Int, seq: UInt64) {
        let (segment, first, seq, startDrain) = state.withLock { s -> (Int, Int, UInt64, Bool) in
            if s.segmentBytes > 0 && s.segmentBytes + bytes.count > segmentSize {
                s.segment += 1
                s.segmentBytes = 0
                s.segmentRecords = 0
            }
            let first = s.segmentRecords
            s.segmentRecords += records
            s.segmentBytes += bytes.count
            s.sizes[s.segment, default: 0] += bytes.count
            s.lastSeq += 1
            s.pending.append(Part(segment: s.segment, seq: s.lastSeq, bytes: bytes))
            let start = !s.draining
            s.draining = true
            return (s.segment, first, s.lastSeq, start)
        }
        if startDrain { queue.async { self.drain() } }
        return (segment, first, seq)
    }

    /// The segment new records currently go to.
    var currentSegment: Int { state.withLock { $0.segment } }

    /// The segments still on disk with their sizes, oldest first.
    var segmentSizes: [(segment: Int, bytes: Int)] {
        state.withLock { s in s.sizes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    /// Bytes of all segments still on disk.
    var totalBytes: Int { state.withLock { s in s.sizes.values.reduce(0, +) } }

    /// Starts a new segment for the next record, so that everything before it can be removed
    /// once flushed.
    func rotate() {
        state.withLock { s in
            if s.segmentBytes > 0 {
                s.segment += 1
                s.segmentBytes = 0
                s.segmentRecords = 0
            }
        }
    }

    /// Returns once record `seq` is durable (or the WAL failed).
    func waitDurable(_ seq: UInt64) async throws(LogStoreError) {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Void, LogStoreError>, Never>) in
            let immediate: Result<Void, LogStoreError>? = state.withLock { s in
                if let f = s.failure { return .failure(f) }
                if s.durableSeq >= seq { return .success(()) }
                s.waiters.append(Waiter(seq: seq, continuation: c))
                return nil
            }
            if let immediate { c.resume(returning: immediate) }
        }
        try result.get()
    }

    /// Runs on the I/O queue: writes and syncs pending parts until none are left.
    private func drain() {
        while true {
            let batch: [Part] = state.withLock { s in
                if s.pending.isEmpty {
                    s.draining = false
                    return []
                }
                if mode == .always {
                    return [s.pending.removeFirst()]
                }
                let all = s.pending
                s.pending.removeAll(keepingCapacity: true)
                return all
            }
            if batch.isEmpty { return }
            let outcome = write(batch)
            let ready: [Waiter] = state.withLock { s in
                switch outcome {
                case .success(let seq):
                    s.durableSeq = max(s.durableSeq, seq)
                case .failure(let e):
                    s.failure = e
                }
                let done = s.waiters.filter { s.failure != nil || $0.seq <= s.durableSeq }
                s.waiters.removeAll { s.failure != nil || $0.seq <= s.durableSeq }
                return done
            }
            let result: Result<Void, LogStoreError> = outcome.map { _ in () }
            for w in ready { w.continuation.resume(returning: result) }
        }
    }

    private func write(_ batch: [Part]) -> Result<UInt64, LogStoreError> {
        var (fd, fdSegment) = state.withLock { ($0.fd, $0.fdSegment) }
        defer { state.withLock { $0.fd = fd; $0.fdSegment = fdSegment } }
        do throws(LogStoreError) {
            for part in batch {
                if part.segment != fdSegment {
                    if fd >= 0 {
                        if mode != .never { try FileIO.fsync(fd, path: path(of: fdSegment)) }
                        FileIO.close(fd)
                        fd = -1
                    }
                    fd = try FileIO.open(path(of: part.segment), flags: O_WRONLY | O_CREAT | O_APPEND)
                    fdSegment = part.segment
                    if mode != .never { try FileIO.fsyncDirectory(directory) }
                }
                try FileIO.writeAll(fd, part.bytes, path: path(of: part.segment))
            }
            if mode != .never, fd >= 0 { try FileIO.fsync(fd, path: path(of: fdSegment)) }
            return .success(batch.last?.seq ?? 0)
        } catch {
            logger.error("WAL write failed", metadata: ["error": "\(error)"])
            return .failure(error)
        }
    }

    /// `rotate`, then closes the previous segment's file once everything enqueued before is
    /// written, so that segment can be removed as soon as its data is in chunks.
    func rotateAndCloseFile() async {
        rotate()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            queue.async {
                self.state.withLock { s in
                    if s.fd >= 0 && s.fdSegment < s.segment {
                        FileIO.close(s.fd)
                        s.fd = -1
                        s.fdSegment = -1
                    }
                }
                c.resume()
            }
        }
    }

    /// Waits for all enqueued records to be durable, then closes the file.
    func close() async throws(LogStoreError) {
        let last = state.withLock { $0.lastSeq }
        if last > 0 { try await waitDurable(last) }
        // Close on the I/O queue, after anything it is still doing; never block a task thread.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            queue.async {
                self.state.withLock { s in
                    if s.fd >= 0 { FileIO.close(s.fd) }
                    s.fd = -1
                    s.fdSegment = -1
                }
                c.resume()
            }
        }
    }

    /// Deletes segments numbered below `segment` (their data is in flushed chunks).
    func removeSegments(before segment: Int) throws(LogStoreError) {
        let current = state.withLock { $0.fdSegment }
        for n in try WriteAheadLog.segments(in: directory) where n < segment && n != current {
            try FileIO.removeFile(path(of: n))
            state.withLock { _ = $0.sizes.removeValue(forKey: n) }
        }
    }
}

/// Reads WAL segments back for replay, stopping at the first torn or corrupt record of a
/// segment (a torn tail is what a crash mid-write leaves).
enum WALReplay {
    struct Outcome {
        var records = 0
        var droppedBytes: Int64 = 0
    }

    static func replay(directory: String, segment: Int, logger: Logger,
                       _ apply: (_ batch: PackedBatch, _ record: Int) -> Void) throws(LogStoreError) -> Outcome {
        let path = directory + "/" + WriteAheadLog.segmentName(segment)
        let fd = try FileIO.open(path, flags: O_RDONLY)
        defer { FileIO.close(fd) }
        let size = try FileIO.fileSize(fd, path: path)
        var offset: Int64 = 0
        var outcome = Outcome()
        let decompressor = ZstdDecompressor()
        let chunk = 8 << 20
        var buffer: [UInt8] = []
        var bufferStart: Int64 = 0
        while offset < size {
            // Keep a window of the file that holds the next record.
            func window(_ need: Int) throws(LogStoreError) -> Bool {
                let have = Int(bufferStart + Int64(buffer.count) - offset)
                if offset >= bufferStart && have >= need { return true }
                guard offset + Int64(need) <= size else { return false }
                buffer = try FileIO.pread(fd, count: max(need, chunk), at: offset, path: path)
                bufferStart = offset
                return buffer.count >= need
            }
            guard try window(WALRecord.headerSize) else { break }
            let rel = Int(offset - bufferStart)
            let (length, crc) = buffer.withUnsafeBytes { b in
                (Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: rel, as: UInt32.self))),
                 UInt32(littleEndian: b.loadUnaligned(fromByteOffset: rel + 4, as: UInt32.self)))
            }
            guard try window(WALRecord.headerSize + length) else { break }
            let start = Int(offset - bufferStart) + WALRecord.headerSize
            let ok: Bool = buffer.withUnsafeBytes { b in
                let payload = UnsafeRawBufferPointer(rebasing: b[start..<(start + length)])
                guard CRC32C.checksum(payload) == crc, let rec = try? WALRecord.decode(payload, decompressor: decompressor) else { return false }
                apply(rec, outcome.records)
                return true
            }
            guard ok else { break }
            outcome.records += 1
            offset += Int64(WALRecord.headerSize + length)
        }
        if offset < size {
            outcome.droppedBytes = size - offset
            logger.warning("dropping torn or corrupt WAL tail", metadata: [
                "file": "\(path)", "offset": "\(offset)", "bytes": "\(size - offset)"])
            try FileIO.truncate(path, to: offset)
        }
        return outcome
    }
}
