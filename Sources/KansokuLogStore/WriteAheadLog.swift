import Dispatch
import KansokuCore
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The write-ahead log: numbered segment files of framed records, written and fsynced by one
/// serial I/O queue (off the cooperative pool). Appenders enqueue encoded records and await
/// their sequence number; the queue places everything pending in segments, writes it, fsyncs
/// once, settles every part (the store applies it to its heads), then resumes every appender
/// the fsync covered (group commit).
///
/// A part's place (segment, record index) is chosen when it is written, not when it is
/// enqueued: when a write or fsync fails (ENOSPC, EIO), the batch is cut off the file again and
/// its places are given to the next batch, so record indexes on disk stay what the store's
/// marks say. A failed batch is settled as failed (never applied, its appenders get the error)
/// and the log goes on: the next batch is tried afresh, so appends resume as soon as the disk
/// has room again.
final class WriteAheadLog: Sendable {
    /// Where a part's records were written: the position WAL marks refer to.
    struct Placement: Sendable {
        var segment: Int
        var firstRecord: Int
    }

    /// Called on the I/O queue for every part in order, after its fsync (placement given) or
    /// after its write failed (nil), before its appender resumes.
    typealias SettleHandler = @Sendable (_ seq: UInt64, _ placement: Placement?) -> Void

    let directory: String
    let mode: FsyncMode
    let segmentSize: Int
    private let queue = DispatchQueue(label: "kansoku.logstore.wal")
    private let state: Mutex<State>
    private let logger: Logger
    let faults: DiskFaults?

    private struct Part {
        var seq: UInt64
        var bytes: [UInt8]
        var records: Int
    }

    private struct Waiter {
        var seq: UInt64
        var continuation: CheckedContinuation<Result<Void, LogStoreError>, Never>
    }

    private struct State {
        var pending: [Part] = []
        var lastSeq: UInt64 = 0
        /// Every part up to this one is settled (written or failed).
        var settledSeq: UInt64 = 0
        /// Failed parts whose appenders have not yet asked.
        var failed: [UInt64: LogStoreError] = [:]
        var waiters: [Waiter] = []
        var segment: Int
        var segmentBytes = 0
        var segmentRecords = 0
        /// Counts `rotate` calls that moved to a new segment (the I/O queue keeps them).
        var rotations = 0
        var draining = false
        var onSettle: SettleHandler?
        /// Bytes written per segment still on disk: what a checkpoint weighs.
        var sizes: [Int: Int] = [:]
        // Owned by the I/O queue: the open segment file.
        var fd: Int32 = -1
        var fdSegment = -1
    }

    /// Opens the WAL for appending in segment `firstSegment`; `existing` are the sizes of the
    /// older segments still on disk (replayed, not yet checkpointed).
    init(directory: String, mode: FsyncMode, segmentSize: Int, firstSegment: Int, existing: [Int: Int],
         faults: DiskFaults?, logger: Logger) {
        self.directory = directory
        self.mode = mode
        self.segmentSize = segmentSize
        self.logger = logger
        self.faults = faults
        var s = State(segment: firstSegment)
        s.sizes = existing
        state = Mutex(s)
    }

    /// Sets what settles each part (the store's head apply). Call before the first append.
    func onSettle(_ handler: @escaping SettleHandler) { state.withLock { $0.onSettle = handler } }

    static func segmentName(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits + ".wal"
    }

    func path(of segment: Int) -> String { directory + "/" + WriteAheadLog.segmentName(segment) }

    /// The segment numbers present on disk, ascending.
    static func segments(in directory: String) throws(LogStoreError) -> [Int] {
        let names: [String]
        do throws(FileIOError) { names = try FileIO.listDirectory(directory) } catch { throw .io(error) }
        return names.compactMap { name in name.hasSuffix(".wal") ? Int(name.dropLast(4)) : nil }.sorted()
    }

    /// Enqueues one append call's `records` framed records; returns the sequence number to
    /// wait for.
    func enqueue(_ bytes: [UInt8], records: Int) -> UInt64 {
        let (seq, startDrain) = state.withLock { s -> (UInt64, Bool) in
            s.lastSeq += 1
            s.pending.append(Part(seq: s.lastSeq, bytes: bytes, records: records))
            let start = !s.draining
            s.draining = true
            return (s.lastSeq, start)
        }
        if startDrain { queue.async { self.drain() } }
        return seq
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
                s.rotations += 1
            }
        }
    }

    /// Returns once record `seq` is durable; throws the write's error if it failed.
    func waitDurable(_ seq: UInt64) async throws(LogStoreError) {
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Void, LogStoreError>, Never>) in
            let immediate: Result<Void, LogStoreError>? = state.withLock { s in
                if s.settledSeq >= seq {
                    if let e = s.failed.removeValue(forKey: seq) { return .failure(e) }
                    return .success(())
                }
                s.waiters.append(Waiter(seq: seq, continuation: c))
                return nil
            }
            if let immediate { c.resume(returning: immediate) }
        }
        try result.get()
    }

    /// Runs on the I/O queue: writes, syncs and settles pending parts until none are left.
    private func drain() {
        while true {
            let (batch, onSettle): ([Part], SettleHandler?) = state.withLock { s in
                if s.pending.isEmpty {
                    s.draining = false
                    return ([], nil)
                }
                if mode == .always { return ([s.pending.removeFirst()], s.onSettle) }
                let all = s.pending
                s.pending.removeAll(keepingCapacity: true)
                return (all, s.onSettle)
            }
            if batch.isEmpty { return }
            let outcome = write(batch)
            switch outcome {
            case .success(let places):
                for (part, place) in zip(batch, places) { onSettle?(part.seq, place) }
            case .failure:
                for part in batch { onSettle?(part.seq, nil) }
            }
            let ready: [(Waiter, Result<Void, LogStoreError>)] = state.withLock { s in
                let last = batch.last?.seq ?? s.settledSeq
                s.settledSeq = max(s.settledSeq, last)
                if case .failure(let e) = outcome { for part in batch { s.failed[part.seq] = e } }
                var done: [(Waiter, Result<Void, LogStoreError>)] = []
                s.waiters.removeAll { w in
                    guard w.seq <= s.settledSeq else { return false }
                    if let e = s.failed.removeValue(forKey: w.seq) { done.append((w, .failure(e))) } else { done.append((w, .success(()))) }
                    return true
                }
                return done
            }
            for (w, r) in ready { w.continuation.resume(returning: r) }
        }
    }

    /// Where the I/O queue is writing: read at the start of a batch, stored back after it.
    private struct Cursor {
        var segment: Int
        var bytes: Int
        var records: Int
        var fd: Int32
        var fdSegment: Int
        var rotations: Int
    }

    /// Places and writes `batch`, then fsyncs. On failure, cuts what it wrote off the files
    /// again and gives its places back.
    private func write(_ batch: [Part]) -> Result<[Placement], LogStoreError> {
        let start = state.withLock { s in
            Cursor(segment: s.segment, bytes: s.segmentBytes, records: s.segmentRecords, fd: s.fd, fdSegment: s.fdSegment,
                   rotations: s.rotations)
        }
        var c = start
        var touched: [(segment: Int, sizeBefore: Int)] = []
        var places: [Placement] = []
        places.reserveCapacity(batch.count)
        do throws(LogStoreError) {
            for part in batch {
                if c.bytes > 0 && c.bytes + part.bytes.count > segmentSize {
                    c.segment += 1
                    c.bytes = 0
                    c.records = 0
                }
                if c.segment != c.fdSegment {
                    if c.fd >= 0 {
                        if mode != .never { try sync(c.fd, segment: c.fdSegment) }
                        FileIO.close(c.fd)
                        c.fd = -1
                        c.fdSegment = -1
                    }
                    do throws(FileIOError) { c.fd = try FileIO.open(path(of: c.segment), flags: O_WRONLY | O_CREAT | O_APPEND) } catch { throw .io(error) }
                    c.fdSegment = c.segment
                    if mode != .never { do throws(FileIOError) { try FileIO.fsyncDirectory(directory) } catch { throw .io(error) } }
                }
                if touched.last?.segment != c.segment { touched.append((c.segment, c.bytes)) }
                places.append(Placement(segment: c.segment, firstRecord: c.records))
                do throws(FileIOError) { try FileIO.writeAll(c.fd, part.bytes, path: path(of: c.segment), faults: faults) } catch { throw .io(error) }
                c.bytes += part.bytes.count
                c.records += part.records
            }
            if mode != .never, c.fd >= 0 { try sync(c.fd, segment: c.fdSegment) }
            let done = c
            state.withLock { st in
                st.fd = done.fd
                st.fdSegment = done.fdSegment
                if st.rotations == start.rotations {
                    st.segment = done.segment
                    st.segmentBytes = done.bytes
                    st.segmentRecords = done.records
                } else if st.segment <= done.segment {
                    // A rotation asked for while this batch was written starts after it.
                    st.segment = done.segment + 1
                    st.segmentBytes = 0
                    st.segmentRecords = 0
                }
                for (part, place) in zip(batch, places) { st.sizes[place.segment, default: 0] += part.bytes.count }
            }
            return .success(places)
        } catch {
            logger.error("WAL write failed; the batch is refused and the WAL goes on", metadata: ["error": "\(error)"])
            undo(touched, start: start, fd: c.fd, fdSegment: c.fdSegment)
            return .failure(error)
        }
    }

    private func sync(_ fd: Int32, segment: Int) throws(LogStoreError) {
        do throws(FileIOError) { try FileIO.fsync(fd, path: path(of: segment), faults: faults) } catch { throw .io(error) }
    }

    /// Cuts a failed batch off the segments it touched and puts the cursor back where the
    /// batch began. If a segment cannot be cut back, new records go to a fresh segment, so
    /// none follows bytes of a refused batch.
    private func undo(_ touched: [(segment: Int, sizeBefore: Int)], start: Cursor, fd: Int32, fdSegment: Int) {
        var clean = true
        for t in touched {
            do throws(FileIOError) { try FileIO.truncate(path(of: t.segment), to: Int64(t.sizeBefore)) } catch {
                clean = false
                logger.error("cannot cut a refused batch off the WAL; later records go to a new segment",
                             metadata: ["file": "\(path(of: t.segment))", "error": "\(error)"])
            }
        }
        state.withLock { st in
            st.fd = fd
            st.fdSegment = fdSegment
            if !clean {
                st.segment = max(st.segment, start.segment, fdSegment) + 1
                st.segmentBytes = 0
                st.segmentRecords = 0
            } else if st.rotations == start.rotations {
                st.segment = start.segment
                st.segmentBytes = start.bytes
                st.segmentRecords = start.records
            }
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

    /// Waits for all enqueued records to be settled, then closes the file.
    func close() async throws(LogStoreError) {
        let last = state.withLock { $0.lastSeq }
        if last > 0 { try? await waitDurable(last) }
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
            do throws(FileIOError) { try FileIO.removeFile(path(of: n)) } catch { throw .io(error) }
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
        let fd: Int32
        let size: Int64
        do throws(FileIOError) { fd = try FileIO.open(path, flags: O_RDONLY) } catch { throw .io(error) }
        defer { FileIO.close(fd) }
        do throws(FileIOError) { size = try FileIO.fileSize(fd, path: path) } catch { throw .io(error) }
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
                do throws(FileIOError) { buffer = try FileIO.pread(fd, count: max(need, chunk), at: offset, path: path) } catch { throw .io(error) }
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
            do throws(FileIOError) { try FileIO.truncate(path, to: offset) } catch { throw .io(error) }
        }
        return outcome
    }
}
