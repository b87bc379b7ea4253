import Foundation
import KansokuCore
import Logging
import Synchronization

/// The durable outbox: every notification is written to disk (fsync, atomic rename)
/// before the first attempt to send it and removed only after the receiver answered 2xx
/// (or it was given up on). On start, what is left is delivered again.
///
/// Guarantee: a notification the dispatcher produced is delivered at least once, unless
/// it is refused with a 4xx (not 429) or stays undeliverable longer than `max_age`.
/// Within one lane (receiver + group key) notifications arrive in the order produced.
/// A second delivery of the same notification happens only when the process dies (or an
/// attempt times out) after the receiver accepted it and before the record's removal
/// reached the disk: the window between the receiver's 2xx and one `unlink` plus a
/// directory fsync. Every attempt carries the record's `Idempotency-Key`, so a receiver
/// that remembers recent keys sees each notification exactly once even then.
final class Outbox: Sendable {
    let directory: String
    private let sender: NotificationSender
    private let retry: RetryPolicy
    private let maxAge: Int64
    private let metrics: NotifyMetricsRecorder
    private let logger: Logger
    private let clock: @Sendable () -> UnixNanos
    private let faults: DiskFaults?

    private struct State {
        var lanes: [String: [OutboxRecord]] = [:]
        var workers: [String: Task<Void, Never>] = [:]
        var depth = 0
        var closed = false
        var counter: UInt64 = 0
        /// The newest stamp handed out or found on disk: file names keep sorting in creation
        /// order even if the wall clock steps back across a restart.
        var lastStamp: Int64 = 0
    }
    private let state = Mutex(State())

    init(
        directory: String, sender: NotificationSender, retry: RetryPolicy, maxAge: Duration,
        metrics: NotifyMetricsRecorder, logger: Logger, clock: @escaping @Sendable () -> UnixNanos,
        faults: DiskFaults? = nil
    ) throws {
        self.faults = faults
        self.directory = directory + "/outbox"
        self.sender = sender
        self.retry = retry
        self.maxAge = maxAge.nanoseconds
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        try FileIO.makeDirectories(self.directory)
        FileIO.removeTemporaries(in: self.directory)
    }

    /// Records left by a previous run, oldest first.
    func loadPending() -> [OutboxRecord] {
        var out: [OutboxRecord] = []
        for name in (try? FileIO.listDirectory(directory)) ?? [] where name.hasSuffix(".json") {
            guard let bytes = try? FileIO.readFile(directory + "/" + name),
                let record = try? JSONDecoder().decode(OutboxRecord.self, from: Data(bytes))
            else {
                logger.error("notify outbox: unreadable record, skipped", metadata: ["file": "\(name)"])
                continue
            }
            out.append(record)
        }
        let newest = out.map(\.createdAt).max() ?? 0
        state.withLock { $0.lastStamp = max($0.lastStamp, newest) }
        return out
    }

    /// A unique file name that sorts after every earlier one (strictly increasing stamps), and
    /// a random idempotency key.
    func newIdentity(now: UnixNanos) -> (fileName: String, id: String) {
        let (n, stamp) = state.withLock { s -> (UInt64, Int64) in
            s.counter += 1
            s.lastStamp = max(s.lastStamp + 1, now)
            return (s.counter, s.lastStamp)
        }
        let t = String(stamp)
        let c = String(n)
        let name = String(repeating: "0", count: max(0, 20 - t.count)) + t + "-"
            + String(repeating: "0", count: max(0, 8 - c.count)) + c + ".json"
        var rng = SystemRandomNumberGenerator()
        let id = AlertFingerprint(rng.next()).description + AlertFingerprint(rng.next()).description
        return (name, id)
    }

    /// Makes the record durable, then queues it for delivery. Throws (and counts the failure)
    /// when it could not be made durable: then nothing of it is on disk or queued, and the
    /// caller must produce the notification again later.
    func append(_ record: OutboxRecord) throws {
        let data = try JSONEncoder().encode(record)
        do {
            try FileIO.writeAtomically(
                Array(data), to: directory + "/" + record.fileName, mode: 0o600, faults: faults, ifRenameNotDurable: .remove)
        } catch {
            metrics.update { $0.outboxWriteFailures += 1 }
            throw error
        }
        enqueue([record])
    }

    /// Queues records already on disk (replay after a restart).
    func enqueue(_ records: [OutboxRecord]) {
        state.withLock { s in
            guard !s.closed else { return }
            for r in records {
                s.lanes[r.lane, default: []].append(r)
                s.depth += 1
                if s.workers[r.lane] == nil {
                    let lane = r.lane
                    s.workers[lane] = Task { [self] in await self.drain(lane: lane) }
                }
            }
            let depth = s.depth
            metrics.update { $0.outboxDepth = depth }
        }
    }

    /// Whether a lane has undelivered records.
    func hasPending(lane: String) -> Bool { state.withLock { !($0.lanes[lane]?.isEmpty ?? true) } }

    var depth: Int { state.withLock { $0.depth } }

    /// Stops delivery without touching the disk: what is undelivered stays for the next start.
    func close() async {
        let workers = state.withLock { s -> [Task<Void, Never>] in
            s.closed = true
            return Array(s.workers.values)
        }
        for w in workers { w.cancel() }
        for w in workers { await w.value }
    }

    private func drain(lane: String) async {
        while let record = next(lane: lane) {
            let done = await deliver(record)
            guard done else { return }  // cancelled: the record stays on disk
            do {
                try FileIO.removeDurably(directory + "/" + record.fileName)
            } catch {
                logger.error("notify outbox: cannot remove delivered record", metadata: ["error": "\(error)"])
            }
            state.withLock { s in
                if s.lanes[lane]?.first?.fileName == record.fileName { s.lanes[lane]!.removeFirst() }
                s.depth -= 1
                let depth = s.depth
                metrics.update { $0.outboxDepth = depth }
            }
        }
    }

    /// The lane's head, or nil after retiring the lane's worker when it is empty.
    private func next(lane: String) -> OutboxRecord? {
        state.withLock { s in
            if s.closed { return nil }
            if let r = s.lanes[lane]?.first { return r }
            s.lanes[lane] = nil
            s.workers[lane] = nil
            return nil
        }
    }

    /// Attempts until delivered or given up (true), or cancelled (false).
    private func deliver(_ record: OutboxRecord) async -> Bool {
        var attempt = 0
        var rng = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            let now = clock()
            if now - record.createdAt > maxAge {
                metrics.receiver(record.receiver) { $0.failed += 1 }
                logger.error(
                    "notify: giving up on a notification older than max_age",
                    metadata: ["receiver": "\(record.receiver)", "groupKey": "\(record.groupKey)"])
                return true
            }
            switch await sender.send(record, now: now) {
            case .delivered:
                metrics.receiver(record.receiver) { $0.sent += 1 }
                return true
            case let .permanent(reason):
                metrics.receiver(record.receiver) { $0.failed += 1 }
                logger.error(
                    "notify: receiver refused a notification, dropped",
                    metadata: ["receiver": "\(record.receiver)", "groupKey": "\(record.groupKey)", "reason": "\(reason)"])
                return true
            case let .retryable(reason, retryAfter):
                if Task.isCancelled { return false }
                metrics.receiver(record.receiver) { $0.retried += 1 }
                let wait = retry.delay(attempt: attempt, floor: retryAfter ?? .zero, using: &rng)
                logger.warning(
                    "notify: delivery failed, retrying",
                    metadata: [
                        "receiver": "\(record.receiver)", "reason": "\(reason)", "attempt": "\(attempt + 1)",
                        "retryIn": "\(wait)",
                    ])
                attempt += 1
                do { try await Task.sleep(for: wait) } catch { return false }
            }
        }
        return false
    }
}
