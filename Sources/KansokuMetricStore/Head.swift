import KansokuCore
import Synchronization

/// One lock stripe of the head's series map (Prometheus's `stripeSeries`): appends to
/// different series rarely contend, and a reader copying one series blocks only its stripe.
final class SeriesStripe: Sendable {
    let series = Mutex<[UInt64: MemSeries]>([:])
}

/// State only the (single) committing appender touches: the label-set → ref map and the
/// string intern pool that makes equal label strings share one buffer.
struct HeadWriterState: Sendable {
    var refs: [Labels: UInt64] = [:]
    var intern: Set<String> = []
    var nextRef: UInt64 = 1

    mutating func interned(_ labels: Labels) -> Labels {
        Labels(sorted: labels.map { Label(name: intern($0.name), value: intern($0.value)) })
    }

    private mutating func intern(_ s: String) -> String {
        if s.utf8.count <= 15 { return s }  // small strings live inline, nothing to share
        return intern.insert(s).memberAfterInsert
    }
}

/// The in-memory block of the newest data: series, their chunks, and the postings index.
final class Head: Sendable {
    static let stripeCount = 512

    let chunkRange: Int64
    let stripes: [SeriesStripe]
    let writer = Mutex(HeadWriterState())
    let index = Mutex(MemPostings())
    /// Samples older than this are out of bounds (their range is already in a block).
    let minValidTime = Atomic<Int64>(.min)
    let minTime = Atomic<Int64>(.max)
    let maxTime = Atomic<Int64>(.min)
    let counters = Mutex(MetricStoreStats())

    init(chunkRange: Int64) {
        self.chunkRange = chunkRange
        stripes = (0..<Head.stripeCount).map { _ in SeriesStripe() }
    }

    @inline(__always) func stripe(_ ref: UInt64) -> SeriesStripe {
        stripes[Int(ref & UInt64(Head.stripeCount - 1))]
    }

    /// The ref of `labels`, creating the series when new (`created` tells). Caller holds `writer`.
    func getOrCreate(_ labels: Labels, in w: inout HeadWriterState, ref wanted: UInt64? = nil) -> (ref: UInt64, created: Bool) {
        if let r = w.refs[labels] { return (r, false) }
        let ref = wanted ?? w.nextRef
        w.nextRef = max(w.nextRef, ref + 1)
        let stored = w.interned(labels)
        w.refs[stored] = ref
        stripe(ref).series.withLock { $0[ref] = MemSeries(labels: stored) }
        index.withLock { $0.add(ref, stored) }
        counters.withLock { $0.seriesCreated += 1 }
        return (ref, true)
    }

    /// Appends one sample to an existing series: the in-memory hot path.
    @inline(__always)
    func append(ref: UInt64, t: Int64, v: Double) -> AppendOutcome? {
        let range = chunkRange
        return stripe(ref).series.withLock { m -> AppendOutcome? in
            // Mutating through `values[index]` edits in place; `m[ref]!` would move the
            // series out of the table and back, retaining every field on the way.
            guard let i = m.index(forKey: ref) else { return nil }
            return m.values[i].append(t: t, v: v, chunkRange: range)
        }
    }

    /// Widens the head's time bounds after a batch.
    func noteTimes(min lo: Int64, max hi: Int64) {
        var cur = minTime.load(ordering: .relaxed)
        while lo < cur {
            let (done, orig) = minTime.compareExchange(expected: cur, desired: lo, ordering: .relaxed)
            if done { break }
            cur = orig
        }
        cur = maxTime.load(ordering: .relaxed)
        while hi > cur {
            let (done, orig) = maxTime.compareExchange(expected: cur, desired: hi, ordering: .relaxed)
            if done { break }
            cur = orig
        }
    }

    var seriesCount: Int { stripes.reduce(0) { n, s in n + s.series.withLock { $0.count } } }

    var chunkCount: Int {
        stripes.reduce(0) { n, s in n + s.series.withLock { $0.values.reduce(0) { $0 + $1.chunkCount } } }
    }

    /// Refs of the series `matchers` select, sorted.
    func refs(matching matchers: [LabelMatcher]) -> [UInt64] {
        index.withLock { $0.select(matchers) }
    }

    /// Labels and chunks overlapping `[from, through]` of the selected series.
    func chunks(matching matchers: [LabelMatcher], from: Int64, through: Int64) -> [(labels: Labels, chunks: [HeadChunk])] {
        let refs = refs(matching: matchers)
        var out: [(labels: Labels, chunks: [HeadChunk])] = []
        out.reserveCapacity(refs.count)
        for r in refs {
            let item = stripe(r).series.withLock { m -> (Labels, [HeadChunk])? in
                guard let s = m[r] else { return nil }
                return (s.labels, s.chunks(from: from, through: through))
            }
            if let (l, c) = item, !c.isEmpty { out.append((l, c)) }
        }
        return out
    }

    /// Labels of selected series having any sample in `[from, through]`.
    func series(matching matchers: [LabelMatcher], from: Int64, through: Int64) -> [Labels] {
        var out: [Labels] = []
        for r in refs(matching: matchers) {
            let l = stripe(r).series.withLock { m -> Labels? in
                guard let s = m[r] else { return nil }
                if s.isEmpty { return nil }
                let lo = s.minTime
                let hi = s.lastT
                return lo <= through && hi >= from ? s.labels : nil
            }
            if let l { out.append(l) }
        }
        return out
    }

    /// Drops everything before `minT` (now in a block) and forgets series left empty.
    /// Caller holds `writer` (passed in) so no append races the removal.
    func truncate(before minT: Int64, in w: inout HeadWriterState) -> Int {
        var removed: [(ref: UInt64, labels: Labels)] = []
        var newMin = Int64.max
        for s in stripes {
            s.series.withLock { m in
                var gone: [UInt64] = []
                for key in Array(m.keys) {
                    if m[key]!.truncate(before: minT) && m[key]!.lastT < minT {
                        gone.append(key)
                    } else {
                        newMin = min(newMin, max(m[key]!.minTime, minT))
                    }
                }
                for key in gone {
                    removed.append((key, m[key]!.labels))
                    m[key] = nil
                }
            }
        }
        for r in removed { w.refs[r.labels] = nil }
        index.withLock { $0.remove(removed) }
        minValidTime.store(minT, ordering: .relaxed)
        minTime.store(newMin == .max ? minT : newMin, ordering: .relaxed)
        if maxTime.load(ordering: .relaxed) < minT { maxTime.store(minT, ordering: .relaxed) }
        counters.withLock {
            $0.seriesRemoved += UInt64(removed.count)
            $0.headTruncations += 1
        }
        return removed.count
    }

    /// Every series with its chunks inside `[minT, maxT)` (for persisting a block).
    func chunksForBlock(minT: Int64, maxT: Int64) -> [(labels: Labels, chunks: [HeadChunk])] {
        var out: [(labels: Labels, chunks: [HeadChunk])] = []
        for s in stripes {
            s.series.withLock { m in
                for (_, series) in m {
                    let cs = series.chunks(from: minT, through: maxT - 1).filter { $0.minT >= minT && $0.maxT < maxT }
                    if !cs.isEmpty { out.append((series.labels, cs)) }
                }
            }
        }
        return out
    }

    func contains(ref: UInt64) -> Bool { stripe(ref).series.withLock { $0[ref] != nil } }
}
