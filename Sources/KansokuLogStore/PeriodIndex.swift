import KansokuCore

/// A chunk as the index knows it: where it is and what time it covers.
struct ChunkRef: Sendable, Hashable {
    /// Segment file, relative to the store directory.
    var file: String
    var offset: Int64
    var length: Int
    var minTime: Int64
    var maxTime: Int64
    var entries: Int
    var rawSize: Int
}

/// A WAL position: segment number, record index inside it, and how many of the record's
/// entries it covers (a head can be cut in the middle of a record).
struct WALMark: Sendable, Hashable, Comparable {
    var segment: Int
    var record: Int
    var entry: Int
    static func < (a: WALMark, b: WALMark) -> Bool { (a.segment, a.record, a.entry) < (b.segment, b.record, b.entry) }
}

/// One stream's entry in a period index.
struct IndexedStream: Sendable {
    var tenant: String
    var labels: Labels
    var minTime: Int64
    var maxTime: Int64
    var chunks: [ChunkRef] = []
    /// The newest WAL record whose entries are in flushed chunks (replay skips up to it).
    var flushedThrough: WALMark?
}

/// The index of one time period: postings (tenant → name → value → sorted stream ids),
/// stream → labels, stream → chunk refs.
struct PeriodIndex: Sendable {
    let start: Int64
    var streams: [UInt64: IndexedStream] = [:]
    var postings: [String: [String: [String: [UInt64]]]] = [:]
    var dirty = false

    init(start: Int64) { self.start = start }

    /// Adds the stream if new, widening its time range.
    mutating func register(id: UInt64, tenant: String, labels: Labels, minTime: Int64, maxTime: Int64) {
        if var s = streams[id] {
            if minTime < s.minTime || maxTime > s.maxTime {
                s.minTime = min(s.minTime, minTime)
                s.maxTime = max(s.maxTime, maxTime)
                streams[id] = s
                dirty = true
            }
            return
        }
        streams[id] = IndexedStream(tenant: tenant, labels: labels, minTime: minTime, maxTime: maxTime)
        for l in labels { PeriodIndex.insertSorted(id, into: &postings[tenant, default: [:]][l.name, default: [:]][l.value, default: []]) }
        dirty = true
    }

    mutating func addChunk(id: UInt64, ref: ChunkRef, mark: WALMark?) {
        guard var s = streams[id] else { return }
        if !s.chunks.contains(ref) { s.chunks.append(ref) }
        s.minTime = min(s.minTime, ref.minTime)
        s.maxTime = max(s.maxTime, ref.maxTime)
        if let mark, s.flushedThrough.map({ $0 < mark }) ?? true { s.flushedThrough = mark }
        streams[id] = s
        dirty = true
    }

    /// Drops chunk refs pointing into files that no longer exist (an expired period's).
    mutating func removeChunks(inFilesWithPrefix prefix: String) {
        for (id, s) in streams where s.chunks.contains(where: { $0.file.hasPrefix(prefix) }) {
            streams[id]?.chunks.removeAll { $0.file.hasPrefix(prefix) }
            dirty = true
        }
    }

    static func insertSorted(_ id: UInt64, into list: inout [UInt64]) {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        if lo == list.count || list[lo] != id { list.insert(id, at: lo) }
    }

    /// Sorted ids of `tenant`'s streams matching all matchers, with Prometheus semantics:
    /// matchers that do not match "" intersect the postings of matching values; matchers that
    /// match "" remove streams that have the label with a non-matching value.
    func matching(tenant: String, _ matchers: [LabelMatcher]) -> [UInt64] {
        guard let byName = postings[tenant] else { return [] }
        var result: [UInt64]?
        for m in matchers where !m.matchesEmpty {
            var union: [UInt64] = []
            if let values = byName[m.name] {
                if m.type == .equal {
                    union = values[m.value] ?? []
                } else {
                    var lists: [[UInt64]] = []
                    for (v, ids) in values where m.matches(v) { lists.append(ids) }
                    union = PeriodIndex.union(lists)
                }
            }
            result = result.map { PeriodIndex.intersect($0, union) } ?? union
            if result?.isEmpty == true { return [] }
        }
        var ids = result ?? streams.compactMap { $0.value.tenant == tenant ? $0.key : nil }.sorted()
        for m in matchers where m.matchesEmpty {
            guard let values = byName[m.name] else { continue }
            var excluded: [[UInt64]] = []
            for (v, list) in values where !m.matches(v) { excluded.append(list) }
            if !excluded.isEmpty { ids = PeriodIndex.subtract(ids, PeriodIndex.union(excluded)) }
        }
        return ids
    }

    static func intersect(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = [], i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { out.append(a[i]); i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return out
    }

    static func subtract(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = [], j = 0
        for x in a {
            while j < b.count && b[j] < x { j += 1 }
            if j == b.count || b[j] != x { out.append(x) }
        }
        return out
    }

    static func union(_ lists: [[UInt64]]) -> [UInt64] {
        if lists.count == 1 { return lists[0] }
        var all = lists.flatMap { $0 }
        all.sort()
        var out: [UInt64] = []
        out.reserveCapacity(all.count)
        for x in all where out.last != x { out.append(x) }
        return out
    }
}
