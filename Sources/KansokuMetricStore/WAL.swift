import Dispatch
import Foundation
import KansokuCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The write-ahead log: numbered segment files under `wal/`, filled by one writer thread that
/// batches whatever appenders queued while it was busy into one write + one fsync (group
/// commit). An append is acknowledged only when the fsync covering its records returned.
///
/// Each queued part carries the head work it stands for (`apply`); the writer thread runs it
/// only after the part is durable, in WAL order. So nothing is queryable before it is on disk,
/// and replay applies records in the same order the head saw them. A batch whose write or
/// fsync fails is cut off the segment again, its appenders get the error and its `apply` never
/// runs; the WAL is not left failed, the next batch is tried afresh.
final class WAL: Sendable {
    typealias Apply = @Sendable () -> MetricAppendResult
    typealias Outcome = Result<MetricAppendResult, MetricStoreError>

    struct Part: Sendable {
        var seq: UInt64
        var bytes: [UInt8]
        /// Series this part's records create: written again ahead of the next batch if this
        /// one fails, because the head already knows them and will not log them a second time.
        var series: [(ref: UInt64, labels: Labels)]
        var apply: Apply?
    }

    struct Queue: Sendable {
        var parts: [Part] = []
        var enqueued: UInt64 = 0
        /// Every part up to this one is settled (applied or refused).
        var settled: UInt64 = 0
        var outcomes: [UInt64: Outcome] = [:]
        var waiters: [(seq: UInt64, continuation: CheckedContinuation<Outcome, Never>)] = []
        var closing = false
        var closed = false
    }

    struct Segment: Sendable {
        var fd: Int32 = -1
        var index: Int = 0
        var size: Int = 0
        /// Set when a refused batch could not be cut off yet: the size to cut back to before
        /// anything else is written, so no record ever follows bytes of a refused batch.
        var cutTo: Int?
    }

    struct FsyncStats: Sendable {
        var count: UInt64 = 0
        var seconds: Double = 0
        var buckets = [UInt64](repeating: 0, count: WALFsyncHistogram.bounds.count)
        /// Batches refused because their write or fsync failed.
        var failedBatches: UInt64 = 0
    }

    let directory: String
    let segmentSize: Int
    let mode: FsyncMode
    let faults: DiskFaults?
    private let queue = Mutex(Queue())
    private let segment = Mutex(Segment())
    let fsyncStats = Mutex(FsyncStats())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let onFailure: @Sendable (MetricStoreError) -> Void

    static func segmentName(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// Opens a new segment numbered `firstSegment` and starts the writer thread.
    init(directory: String, firstSegment: Int, segmentSize: Int, mode: FsyncMode, faults: DiskFaults? = nil,
         onFailure: @escaping @Sendable (MetricStoreError) -> Void = { _ in }) throws(MetricStoreError) {
        self.directory = directory
        self.segmentSize = segmentSize
        self.mode = mode
        self.faults = faults
        self.onFailure = onFailure
        do throws(FileIOError) { try FileIO.makeDirectories(directory) } catch { throw .io(error) }
        let seg = try WAL.openSegment(directory, firstSegment)
        segment.withLock { $0 = seg }
        do throws(FileIOError) { try FileIO.fsyncDirectory(directory) } catch { throw .io(error) }
        let thread = Thread { [self] in self.run() }
        thread.name = "kansoku-metrics-wal"
        thread.start()
    }

    private static func openSegment(_ dir: String, _ index: Int) throws(MetricStoreError) -> Segment {
        let path = dir + "/" + segmentName(index)
        do throws(FileIOError) {
            let fd = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_APPEND)
            return Segment(fd: fd, index: index, size: Int(try FileIO.fileSize(fd, path: path)))
        } catch { throw .io(error) }
    }

    private func path(_ index: Int) -> String { directory + "/" + WAL.segmentName(index) }

    /// Queues encoded records and the head work they stand for; returns the sequence number
    /// to wait for. `series` are the series the records create (see `Part.series`).
    func log(_ bytes: [UInt8], series: [(ref: UInt64, labels: Labels)] = [], apply: Apply? = nil) throws(MetricStoreError) -> UInt64 {
        let r: Result<UInt64, MetricStoreError> = queue.withLock { q in
            if q.closing { return .failure(.closed) }
            q.enqueued += 1
            q.parts.append(Part(seq: q.enqueued, bytes: bytes, series: series, apply: apply))
            return .success(q.enqueued)
        }
        let seq = try r.get()
        wake.signal()
        return seq
    }

    /// Returns once part `seq` is durable and applied, with what its `apply` reported; throws
    /// the write's error if its batch was refused.
    func waitDurable(_ seq: UInt64) async throws(MetricStoreError) -> MetricAppendResult {
        let outcome: Outcome = await withCheckedContinuation { c in
            let now: Outcome? = queue.withLock { q in
                if let o = q.outcomes.removeValue(forKey: seq) { return o }
                q.waiters.append((seq, c))
                return nil
            }
            if let now { c.resume(returning: now) }
        }
        return try outcome.get()
    }

    /// `waitDurable` for synchronous callers (store open), by polling the writer's progress.
    func waitDurableBlocking(_ seq: UInt64) throws(MetricStoreError) {
        while true {
            if let o = queue.withLock({ $0.outcomes.removeValue(forKey: seq) }) {
                _ = try o.get()
                return
            }
            usleep(200)
        }
    }

    /// Closes the current segment and starts the next; returns the closed segment's number.
    func cutSegment() throws(MetricStoreError) -> Int {
        let r: Result<Int, MetricStoreError> = segment.withLock { s in
            do throws(MetricStoreError) {
                let closed = s.index
                try settleCut(&s)
                try rotate(&s)
                return .success(closed)
            } catch { return .failure(error) }
        }
        return try r.get()
    }

    var currentSegment: Int { segment.withLock { $0.index } }

    /// Flushes what is queued and stops the writer thread.
    func stop() {
        let already = queue.withLock { q -> Bool in
            defer { q.closing = true }
            return q.closing
        }
        if already { return }
        wake.signal()
        finished.wait()
        segment.withLock { s in
            try? settleCut(&s)
            if s.cutTo == nil { fsync(s.fd) }
            close(s.fd)
            s.fd = -1
        }
    }

    private func run() {
        // Series of refused batches, written ahead of the next batch (only this thread).
        var unlogged: [UInt64: Labels] = [:]
        while true {
            wake.wait()
            let (parts, closing) = queue.withLock { q -> ([Part], Bool) in
                let p = q.parts
                q.parts = []
                return (p, q.closing)
            }
            var outcomes: [(UInt64, Outcome)] = []
            if !parts.isEmpty {
                var bytes: [UInt8] = []
                if !unlogged.isEmpty {
                    WALRecord.encodeSeries(unlogged.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, into: &bytes)
                }
                for p in parts { bytes.append(contentsOf: p.bytes) }
                do throws(MetricStoreError) {
                    try writeOut(bytes)
                    unlogged.removeAll()
                    // Durable: now (and only now) the head may show the samples, in WAL order.
                    for p in parts { outcomes.append((p.seq, .success(p.apply?() ?? MetricAppendResult()))) }
                } catch {
                    fsyncStats.withLock { $0.failedBatches += 1 }
                    onFailure(error)
                    for p in parts {
                        for s in p.series { unlogged[s.ref] = s.labels }
                        outcomes.append((p.seq, .failure(error)))
                    }
                }
            }
            let ready = queue.withLock { q -> [(CheckedContinuation<Outcome, Never>, Outcome)] in
                for (seq, o) in outcomes { q.outcomes[seq] = o }
                if let last = parts.last { q.settled = last.seq }
                var out: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
                q.waiters.removeAll { w in
                    guard let o = q.outcomes.removeValue(forKey: w.seq) else { return false }
                    out.append((w.continuation, o))
                    return true
                }
                if closing && q.parts.isEmpty { q.closed = true }
                return out
            }
            for (c, o) in ready { c.resume(returning: o) }
            if closing && queue.withLock({ $0.closed }) {
                finished.signal()
                return
            }
        }
    }

    private func sync(_ fd: Int32, _ index: Int) throws(MetricStoreError) {
        do throws(FileIOError) { try FileIO.fsync(fd, path: path(index), faults: faults) } catch { throw .io(error) }
    }

    /// Finishes cutting a refused batch off the segment, if an earlier attempt failed.
    private func settleCut(_ s: inout Segment) throws(MetricStoreError) {
        guard let to = s.cutTo else { return }
        do throws(FileIOError) { try FileIO.truncate(s.fd, to: Int64(to), path: path(s.index)) } catch { throw .io(error) }
        s.size = to
        s.cutTo = nil
    }

    /// Syncs and closes the current segment and opens the next. The old one stays current
    /// until the new one is safely in the directory, so a failure leaves a usable segment.
    private func rotate(_ s: inout Segment) throws(MetricStoreError) {
        try sync(s.fd, s.index)
        let next = try WAL.openSegment(directory, s.index + 1)
        do throws(FileIOError) { try FileIO.fsyncDirectory(directory) } catch {
            close(next.fd)
            unlink(path(next.index))
            throw .io(error)
        }
        close(s.fd)
        s = next
    }

    private func writeOut(_ bytes: [UInt8]) throws(MetricStoreError) {
        let r: Result<Void, MetricStoreError> = segment.withLock { s in
            do throws(MetricStoreError) {
                try settleCut(&s)
                if s.size > 0 && s.size + bytes.count > segmentSize { try rotate(&s) }
                let before = s.size
                do throws(MetricStoreError) {
                    do throws(FileIOError) { try FileIO.writeAll(s.fd, bytes, path: path(s.index), faults: faults) } catch { throw .io(error) }
                    s.size += bytes.count
                    if mode == .batch {
                        let start = ContinuousClock.now
                        try sync(s.fd, s.index)
                        let d = start.duration(to: .now)
                        let secs = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                        fsyncStats.withLock { st in
                            st.count += 1
                            st.seconds += secs
                            for (i, b) in WALFsyncHistogram.bounds.enumerated() where secs <= b { st.buckets[i] += 1 }
                        }
                    }
                } catch {
                    // Cut the refused batch off (a partial write too); if even that fails, the
                    // next write tries again first.
                    s.cutTo = before
                    try? settleCut(&s)
                    throw error
                }
                return .success(())
            } catch { return .failure(error) }
        }
        try r.get()
    }
}
