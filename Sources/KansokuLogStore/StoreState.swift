import KansokuCore

/// Identity of a stream: tenant plus labels.
struct StreamKey: Hashable, Sendable {
    var tenant: String
    var labels: Labels
}

/// A period `[start, start + length)`, with the end clamped at the top of the Int64 range.
struct PeriodSpan {
    let start: Int64
    let end: Int64?

    init(start: Int64, length: Int64) {
        self.start = start
        let (e, overflow) = start.addingReportingOverflow(length)
        end = overflow ? nil : e
    }

    @inline(__always) func contains(_ t: Int64) -> Bool { t >= start && (end.map { t < $0 } ?? true) }
}

/// The store's in-memory state, guarded by one mutex.
struct StoreState: Sendable {
    var streams = StreamTable()
    var ids: [StreamKey: UInt64] = [:]
    /// Every stream ever seen (from indexes and the WAL), for stable id assignment.
    var known: [UInt64: StreamKey] = [:]
    var periods: [Int64: PeriodIndex] = [:]
    var nextGeneration: UInt64 = 1
    /// Chunks closed under the lock, waiting to be handed to the segment writer.
    var closedQueue: [ClosedChunk] = []
    var closed = false
    /// Segment files no index refers to any more, with when that was first seen (compaction
    /// deletes them after a grace period).
    var retiredFiles: [String: Int64] = [:]
    /// Validated entries waiting for their WAL write to settle, by WAL sequence number.
    var unapplied: [UInt64: [(id: UInt64, batch: PackedBatch)]] = [:]
    /// Blocks cut when a settled part reached the heads, waiting for its appender to compress them.
    var readyJobs: [UInt64: [CutJob]] = [:]

    /// The id of a stream: its stable hash (tenant and labels), probed forward on collision.
    mutating func resolveID(tenant: String, labels: Labels) -> UInt64 {
        let key = StreamKey(tenant: tenant, labels: labels)
        if let id = ids[key] { return id }
        var id = StoreState.hash(tenant: tenant, labels: labels)
        while let other = known[id], other != key { id &+= 1 }
        ids[key] = id
        known[id] = key
        return id
    }

    static func hash(tenant: String, labels: Labels) -> UInt64 {
        var h = FNV1a64()
        h.combine(tenant)
        h.combine(byte: 0xFE)
        h.combine(byte: UInt8(truncatingIfNeeded: labels.stableHash))
        var l = labels.stableHash
        for _ in 0..<8 { h.combine(byte: UInt8(truncatingIfNeeded: l)); l >>= 8 }
        return h.value
    }

    /// Records an id already used on disk (from an index), so new streams never take it.
    mutating func remember(id: UInt64, tenant: String, labels: Labels) {
        let key = StreamKey(tenant: tenant, labels: labels)
        known[id] = key
        if ids[key] == nil { ids[key] = id }
    }

    mutating func newGeneration() -> UInt64 {
        defer { nextGeneration += 1 }
        return nextGeneration
    }

    /// The start of the period holding `t` (floor division; safe at the ends of Int64).
    func periodStart(_ t: Int64, length: Int64) -> Int64 {
        var q = t / length
        if t < 0 && t % length != 0 { q -= 1 }
        let (start, overflow) = q.multipliedReportingOverflow(by: length)
        return overflow ? Int64.min : start
    }

    /// Records that stream `s` has entries in `[minTime, maxTime]` of the period at `period`.
    mutating func register(_ s: StreamState, period: Int64, minTime: Int64, maxTime: Int64) {
        periods[period, default: PeriodIndex(start: period)].register(id: s.id, tenant: s.tenant, labels: s.labels,
                                                                      minTime: minTime, maxTime: maxTime)
    }

    /// Whether the period starting at `start` overlaps `[from, through]`.
    func periodOverlaps(_ start: Int64, length: Int64, from: Int64, through: Int64) -> Bool {
        let (end, overflow) = start.addingReportingOverflow(length)
        return start <= through && (overflow || end > from)
    }
}

extension StoreState {
    /// The period indexes changed since they were last persisted, marked clean, for the
    /// caller to encode and write after the lock: encoding the index of 1,000,000 streams
    /// takes about a second, which under the lock stalled every push and query. A copy here
    /// shares the index's storage; the flush, compaction and retention that take them run
    /// one at a time on the segment queue, so none mutates an index while it is encoded.
    mutating func takeDirtyIndexes() -> [(start: Int64, index: PeriodIndex)] {
        var out: [(start: Int64, index: PeriodIndex)] = []
        for (start, p) in periods where p.dirty {
            periods[start]?.dirty = false
            out.append((start, p))
        }
        return out
    }
}
