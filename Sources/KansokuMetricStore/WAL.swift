import Dispatch
import Foundation
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
final class WAL: Sendable {
    struct Queue: Sendable {
        var buffer: [UInt8] = []
        var enqueued: UInt64 = 0
        var durable: UInt64 = 0
        var waiters: [(seq: UInt64, continuation: CheckedContinuation<MetricStoreError?, Never>)] = []
        var failure: MetricStoreError?
        var closing = false
        var closed = false
    }

    struct Segment: Sendable {
        var fd: Int32 = -1
        var index: Int = 0
        var size: Int = 0
    }

    struct FsyncStats: Sendable {
        var count: UInt64 = 0
        var seconds: Double = 0
        var buckets = [UInt64](repeating: 0, count: WALFsyncHistogram.bounds.count)
    }

    let directory: String
    let segmentSize: Int
    let mode: FsyncMode
    private let queue = Mutex(Queue())
    private let segment = Mutex(Segment())
    let fsyncStats = Mutex(FsyncStats())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    static func segmentName(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// Opens a new segment numbered `firstSegment` and starts the writer thread.
    init(directory: String, firstSegment: Int, segmentSize: Int, mode: FsyncMode) throws(MetricStoreError) {
        self.directory = directory
        self.segmentSize = segmentSize
        self.mode = mode
        try FileIO.mkdirs(directory)
        let seg = try WAL.openSegment(directory, firstSegment)
        segment.withLock { $0 = seg }
        try FileIO.fsyncDirectory(directory)
        let thread = Thread { [self] in self.run() }
        thread.name = "kansoku-metrics-wal"
        thread.start()
    }

    private static func openSegment(_ dir: String, _ index: Int) throws(MetricStoreError) -> Segment {
        let path = dir + "/" + segmentName(index)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if fd < 0 { throw FileIO.fail(path, "open") }
        return Segment(fd: fd, index: index, size: Int(FileIO.size(path)))
    }

    /// Queues encoded records; returns the sequence number to wait for.
    func log(_ bytes: [UInt8]) throws(MetricStoreError) -> UInt64 {
        let r: Result<UInt64, MetricStoreError> = queue.withLock { q in
            if q.closing { return .failure(.closed) }
            if let f = q.failure { return .failure(f) }
            q.buffer.append(contentsOf: bytes)
            q.enqueued += 1
            return .success(q.enqueued)
        }
        let seq = try r.get()
        wake.signal()
        return seq
    }

    /// Returns once everything up to `seq` is written (and fsynced in batch mode).
    func waitDurable(_ seq: UInt64) async throws(MetricStoreError) {
        let err: MetricStoreError? = await withCheckedContinuation { c in
            queue.withLock { q in
                if let f = q.failure { c.resume(returning: f) } else if q.durable >= seq { c.resume(returning: nil) } else {
                    q.waiters.append((seq, c))
                }
            }
        }
        if let err { throw err }
    }

    /// `waitDurable` for synchronous callers (store open), by polling the writer's progress.
    func waitDurableBlocking(_ seq: UInt64) throws(MetricStoreError) {
        while true {
            let (done, failure) = queue.withLock { ($0.durable >= seq, $0.failure) }
            if let failure { throw failure }
            if done { return }
            usleep(200)
        }
    }

    /// Closes the current segment and starts the next; returns the closed segment's number.
    func cutSegment() throws(MetricStoreError) -> Int {
        let r: Result<Int, MetricStoreError> = segment.withLock { s in
            do throws(MetricStoreError) {
                let closed = s.index
                if fsync(s.fd) != 0 { throw FileIO.fail(directory, "fsync") }
                close(s.fd)
                s = try WAL.openSegment(directory, closed + 1)
                try FileIO.fsyncDirectory(directory)
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
            fsync(s.fd)
            close(s.fd)
            s.fd = -1
        }
    }

    private func run() {
        while true {
            wake.wait()
            let (bytes, seq, closing) = queue.withLock { q -> ([UInt8], UInt64, Bool) in
                let b = q.buffer
                q.buffer = []
                return (b, q.enqueued, q.closing)
            }
            var failure: MetricStoreError?
            if !bytes.isEmpty {
                do throws(MetricStoreError) { try writeOut(bytes) } catch { failure = error }
            }
            let ready = queue.withLock { q -> [(CheckedContinuation<MetricStoreError?, Never>, MetricStoreError?)] in
                if let failure { q.failure = failure }
                q.durable = seq
                var out: [(CheckedContinuation<MetricStoreError?, Never>, MetricStoreError?)] = []
                q.waiters.removeAll { w in
                    if w.seq <= seq || q.failure != nil {
                        out.append((w.continuation, q.failure))
                        return true
                    }
                    return false
                }
                if closing && q.buffer.isEmpty { q.closed = true }
                return out
            }
            for (c, e) in ready { c.resume(returning: e) }
            if closing && queue.withLock({ $0.closed }) {
                finished.signal()
                return
            }
        }
    }

    private func writeOut(_ bytes: [UInt8]) throws(MetricStoreError) {
        let r: Result<Void, MetricStoreError> = segment.withLock { s in
            do throws(MetricStoreError) {
                if s.size > 0 && s.size + bytes.count > segmentSize {
                    if fsync(s.fd) != 0 { throw FileIO.fail(directory, "fsync") }
                    close(s.fd)
                    s = try WAL.openSegment(directory, s.index + 1)
                    try FileIO.fsyncDirectory(directory)
                }
                try FileIO.writeAll(s.fd, bytes, path: directory + "/" + WAL.segmentName(s.index))
                s.size += bytes.count
                if mode == .batch {
                    let start = ContinuousClock.now
                    if fsync(s.fd) != 0 { throw FileIO.fail(directory, "fsync") }
                    let d = start.duration(to: .now)
                    let secs = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                    fsyncStats.withLock { st in
                        st.count += 1
                        st.seconds += secs
                        for (i, b) in WALFsyncHistogram.bounds.enumerated() where secs <= b { st.buckets[i] += 1 }
                    }
                }
                return .success(())
            } catch { return .failure(error) }
        }
        try r.get()
    }
}
