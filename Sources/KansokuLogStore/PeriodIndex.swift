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
    /// No entry of the chunk has structured metadata (index version 2; false when unknown).
    var withoutMetadata = false

    var facts: BlockFacts {
        BlockFacts(minTime: minTime, maxTime: maxTime, entryCount: entries, rawSize: rawSize, withoutMetadata: withoutMetadata)
    }
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

/// The stream ids of one label value, sorted. Ids are hashes, so new streams land anywhere in
/// the list: they wait in a short unsorted tail that is merged in when it grows past an
/// eighth of the list (at most 8,192), which keeps registering a million streams under one
/// label linear instead of quadratic.
struct PostingList: Sendable, Equatable {
    private var head: [UInt64] = []
    private var tail: [UInt64] = []

    init() {}

    /// Trusts that `sorted` is sorted without duplicates.
    init(sorted: [UInt64]) { head = sorted }

    /// The ids, sorted.
    var ids: [UInt64] {
        if tail.isEmpty { return head }
        return PostingList.merge(head, tail.sorted())
    }

    /// Two sorted lists as one, sorted without duplicates.
    static func merge(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            let x: UInt64
            if j == b.count || (i < a.count && a[i] <= b[j]) { x = a[i]; i += 1 } else { x = b[j]; j += 1 }
            if out.last != x { out.append(x) }
        }
        return out
    }

    mutating func insert(_ id: UInt64) {
        if tail.isEmpty, head.last.map({ $0 < id }) ?? true {
            head.append(id)
            return
        }
        // A repeated id is dropped when the tail is merged.
        tail.append(id)
        if tail.count >= max(32, min(head.count / 8, 8192)) {
            head = ids
            tail = []
        }
    }
}

/// The index of one time period: postings (tenant → name → value → stream ids),
/// stream → labels, stream → chunk refs.
struct PeriodIndex: Sendable {
    let start: Int64
    var streams: [UInt64: IndexedStream] = [:]
    var postings: [String: [String: [String: PostingList]]] = [:]
    var dirty = false
    /// Each label's values, sorted, once asked for (tenant → name → values); a new value
    /// drops its label's entry. Label-values requests over 100,000 cameras then sort nothing.
    private var sortedValueCache: [String: [String: [String]]] = [:]
    /// Bounds of every stream's time range: when they lie inside a query's range, every
    /// stream of the period has data in it and label lookups need not look at any stream.
    private(set) var minTime = Int64.max
    private(set) var maxTime = Int64.min

    init(start: Int64) { self.start = start }

    /// Adds the stream if new, widening its time range.
    mutating func register(id: UInt64, tenant: String, labels: Labels, minTime: Int64, maxTime: Int64) {
        widen(minTime, maxTime)
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
        for l in labels {
            if sortedValueCache[tenant]?[l.name] != nil, postings[tenant]?[l.name]?[l.value] == nil {
                sortedValueCache[tenant]?[l.name] = nil
            }
            postings[tenant, default: [:]][l.name, default: [:]][l.value, default: PostingList()].insert(id)
        }
        dirty = true
    }

    /// Every value of label `name` among `tenant`'s streams, sorted (cached until a new value
    /// arrives).
    mutating func sortedValues(tenant: String, name: String) -> [String] {
        if let cached = sortedValueCache[tenant]?[name] { return cached }
        let sorted = (postings[tenant]?[name]?.keys).map { $0.sorted() } ?? []
        sortedValueCache[tenant, default: [:]][name] = sorted
        return sorted
    }

    mutating func widen(_ lo: Int64, _ hi: Int64) {
        minTime = min(minTime, lo)
        maxTime = max(maxTime, hi)
    }

    mutating func addChunk(id: UInt64, ref: ChunkRef, mark: WALMark?) {
        guard var s = streams[id] else { return }
        widen(ref.minTime, ref.maxTime)
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

    /// Whether every stream of the period has data in `[from, through]`.
    func within(from: Int64, through: Int64) -> Bool { minTime >= from && maxTime <= through }

    /// Whether any of `ids` (of `allowed`, when given) has data in `[from, through]`.
    func anyStream(_ ids: [UInt64], allowed: Set<UInt64>?, from: Int64, through: Int64, whole: Bool) -> Bool {
        for id in ids where allowed?.contains(id) ?? true {
            if whole { return true }
            if let s = streams[id], s.minTime <= through, s.maxTime >= from { return true }
        }
        return false
    }

    /// Values of label `name` over `tenant`'s streams that match `matchers` and have data in
    /// `[from, through]`, from the postings: streams are looked at only when the period is not
    /// wholly inside the range.
    func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                     into out: inout [String]) {
        guard let values = postings[tenant]?[name] else { return }
        let allowed = matchers.isEmpty ? nil : Set(matching(tenant: tenant, matchers))
        if allowed?.isEmpty == true { return }
        let whole = within(from: from, through: through)
        if whole && allowed == nil {
            out.append(contentsOf: values.keys)
            return
        }
        for (v, list) in values where anyStream(list.ids, allowed: allowed, from: from, through: through, whole: whole) {
            out.append(v)
        }
    }

    /// Label names of `tenant`'s streams with data in `[from, through]`, from the postings.
    func labelNames(tenant: String, from: Int64, through: Int64, into out: inout Set<String>) {
        guard let names = postings[tenant] else { return }
        let whole = within(from: from, through: through)
        for (name, values) in names where !out.contains(name) {
            if whole || values.values.contains(where: { anyStream($0.ids, allowed: nil, from: from, through: through, whole: false) }) {
                out.insert(name)
            }
        }
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
                    union = values[m.value]?.ids ?? []
                } else {
                    var lists: [[UInt64]] = []
                    for (v, list) in values where m.matches(v) { lists.append(list.ids) }
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
            for (v, list) in values where !m.matches(v) { excluded.append(list.ids) }
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

extension PeriodIndex {
    /// The tenants with streams in the period.
    var tenants: [String] { postings.keys.sorted() }

    /// The period's index as it would be with only `tenant`'s streams.
    func narrowed(to tenant: String) -> PeriodIndex {
        var out = PeriodIndex(start: start)
        for (id, s) in streams where s.tenant == tenant {
            out.streams[id] = s
            out.widen(s.minTime, s.maxTime)
        }
        out.postings[tenant] = postings[tenant]
        return out
    }
}
