public import KansokuCore
import Synchronization

/// Entries of one stream as the store accepted them, published once they were durable in the
/// WAL and visible to queries.
public struct PublishedBatch: Sendable {
    /// The WAL sequence of the append that carried them; later appends have higher ones.
    public var sequence: UInt64
    public var batch: PackedBatch
}

/// An entry a subscriber did not receive because its buffer was full.
public struct DroppedEntry: Sendable, Hashable {
    public var labels: Labels
    public var timestamp: Int64

    public init(labels: Labels, timestamp: Int64) {
        self.labels = labels
        self.timestamp = timestamp
    }
}

/// What a subscriber takes at once: every batch buffered since the last take, in acceptance
/// order, and the entries dropped meanwhile.
public struct SubscriptionDelivery: Sendable {
    public var batches: [PublishedBatch]
    /// The dropped entries, at most `LogSubscription.maxReportedDrops` of them.
    public var dropped: [DroppedEntry]
    /// How many entries were dropped, including those not listed.
    public var droppedCount: Int

    public var entryCount: Int { batches.reduce(0) { $0 + $1.batch.count } }
}

/// A live feed of the entries a tenant's streams matching `matchers` accept, in acceptance
/// order. Its buffer is bounded: when the reader falls more than `capacity` entries or
/// `capacityBytes` of lines behind, further entries are dropped and reported (labels and
/// timestamp) instead of piling up.
public final class LogSubscription: Sendable {
    /// Dropped entries listed per delivery; more are only counted.
    public static let maxReportedDrops = 1000

    public let tenant: String
    public let matchers: [LabelMatcher]
    /// Entries the buffer holds at most.
    public let capacity: Int
    /// Line bytes the buffer holds at most.
    public let capacityBytes: Int
    private let state = Mutex(State())
    private let onCancel: @Sendable (LogSubscription) -> Void

    private struct State {
        var pending: [PublishedBatch] = []
        var entries = 0
        var bytes = 0
        var dropped: [DroppedEntry] = []
        var droppedCount = 0
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false

        var isReady: Bool { cancelled || !pending.isEmpty || droppedCount > 0 }
    }

    init(tenant: String, matchers: [LabelMatcher], capacity: Int, capacityBytes: Int,
         onCancel: @escaping @Sendable (LogSubscription) -> Void) {
        self.tenant = tenant
        self.matchers = matchers
        self.capacity = max(1, capacity)
        self.capacityBytes = max(1, capacityBytes)
        self.onCancel = onCancel
    }

    /// Buffers what fits of `published`, drops the rest, and wakes the reader.
    func offer(_ published: PublishedBatch) {
        let waiter = state.withLock { st -> CheckedContinuation<Void, Never>? in
            guard !st.cancelled else { return nil }
            let batch = published.batch
            // The leading entries that fit both bounds.
            var room = 0, size = 0
            while room < batch.count, st.entries + room < capacity {
                let line = batch.lineEnds[room] - batch.lineStarts[room]
                guard st.bytes + size + line <= capacityBytes else { break }
                size += line
                room += 1
            }
            if room == batch.count {
                st.pending.append(published)
                st.entries += room
                st.bytes += size
            } else {
                if room > 0 {
                    st.pending.append(PublishedBatch(sequence: published.sequence, batch: batch.keeping(Array(0..<room))))
                    st.entries += room
                    st.bytes += size
                }
                for i in room..<batch.count {
                    if st.dropped.count < Self.maxReportedDrops {
                        st.dropped.append(DroppedEntry(labels: batch.labels, timestamp: batch.timestamps[i]))
                    }
                    st.droppedCount += 1
                }
            }
            defer { st.waiter = nil }
            return st.waiter
        }
        waiter?.resume()
    }

    /// Waits until entries (or drops) are buffered and takes all of them; nil once the
    /// subscription is cancelled (by `cancel()` or by cancelling the waiting task).
    public func next() async -> SubscriptionDelivery? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { st in
                    if st.isReady { return true }
                    st.waiter = c
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            cancel()
        }
        return takeNow()
    }

    /// Takes what is buffered without waiting (an empty delivery when nothing is); nil once
    /// cancelled.
    public func takeNow() -> SubscriptionDelivery? {
        state.withLock { st in
            guard !st.cancelled else { return nil }
            defer {
                st.pending.removeAll(keepingCapacity: true)
                st.entries = 0
                st.bytes = 0
                st.dropped.removeAll()
                st.droppedCount = 0
            }
            return SubscriptionDelivery(batches: st.pending, dropped: st.dropped, droppedCount: st.droppedCount)
        }
    }

    /// Stops the feed: the store forgets the subscriber and a waiting `next()` returns nil.
    public func cancel() {
        let (waiter, first) = state.withLock { st -> (CheckedContinuation<Void, Never>?, Bool) in
            defer { st.cancelled = true; st.waiter = nil; st.pending = [] }
            return (st.waiter, !st.cancelled)
        }
        waiter?.resume()
        if first { onCancel(self) }
    }
}

/// The store's subscribers. Publishing costs one atomic load while there are none.
final class SubscriptionHub: Sendable {
    private let subscribers = Mutex<[ObjectIdentifier: LogSubscription]>([:])
    private let count = Atomic<Int>(0)

    func add(_ s: LogSubscription) {
        subscribers.withLock { $0[ObjectIdentifier(s)] = s; count.store($0.count, ordering: .releasing) }
    }

    func remove(_ s: LogSubscription) {
        subscribers.withLock { $0[ObjectIdentifier(s)] = nil; count.store($0.count, ordering: .releasing) }
    }

    /// Hands each part to the subscribers of its tenant whose matchers its labels satisfy.
    func publish(_ parts: [(id: UInt64, batch: PackedBatch)], sequence: UInt64) {
        guard count.load(ordering: .acquiring) > 0 else { return }
        let current = subscribers.withLock { Array($0.values) }
        for part in parts {
            for s in current where s.tenant == part.batch.tenant && s.matchers.matches(part.batch.labels) {
                s.offer(PublishedBatch(sequence: sequence, batch: part.batch))
            }
        }
    }

    /// Ends every subscription (the store is closing).
    func cancelAll() {
        for s in subscribers.withLock({ Array($0.values) }) { s.cancel() }
    }
}

extension LogStore {
    /// Subscribes to the entries `tenant`'s streams matching `matchers` accept from now on,
    /// each delivered once it is durable and visible to queries, in acceptance order (late
    /// entries with older timestamps included). `capacity` and `capacityBytes` bound what is
    /// buffered for a slow reader; past them entries are dropped and reported.
    public func subscribe(tenant: String, matchers: [LabelMatcher], capacity: Int = 100_000,
                          capacityBytes: Int = 32 << 20) -> LogSubscription {
        let s = LogSubscription(tenant: tenant, matchers: matchers, capacity: capacity, capacityBytes: capacityBytes) { [weak self] s in
            self?.subscriptions.remove(s)
        }
        subscriptions.add(s)
        return s
    }

    /// The highest WAL sequence whose entries are visible to queries: a query that finished
    /// before this was read cannot have seen entries published with a higher sequence.
    public var appliedSequence: UInt64 { applied.load(ordering: .acquiring) }
}
