import KansokuCore
import Synchronization

/// Series refs pack where a series lives: `epoch << 40 | slot << 9 | stripe`. The epoch grows
/// whenever garbage collection frees slots, so a reused slot never repeats an old ref.
enum HeadRef {
    static let stripeBits: UInt64 = 9
    static let slotMask: UInt64 = (1 << 31) - 1

    @inline(__always) static func stripe(_ ref: UInt64) -> Int { Int(ref & ((1 << stripeBits) - 1)) }
    @inline(__always) static func slot(_ ref: UInt64) -> Int { Int((ref >> stripeBits) & slotMask) }
    @inline(__always) static func epoch(_ ref: UInt64) -> UInt64 { ref >> 40 }

    static func make(epoch: UInt64, slot: Int, stripe: Int) -> UInt64 {
        epoch << 40 | UInt64(slot) << stripeBits | UInt64(stripe)
    }
}

/// The series of one lock stripe, in a slot array indexed straight from the ref: no hashing
/// on the append path, and series created together sit together in memory.
struct StripeSlots: Sendable {
    var slots: [MemSeries] = []
    var free: [Int] = []
    var count = 0

    @inline(__always) func index(of ref: UInt64) -> Int? {
        let i = HeadRef.slot(ref)
        return i < slots.count && slots[i].ref == ref ? i : nil
    }

    func series(_ ref: UInt64) -> MemSeries? { index(of: ref).map { slots[$0] } }
}

/// One lock stripe (Prometheus's `stripeSeries`): appends to different series rarely contend,
/// and a reader copying one series blocks only its stripe.
final class SeriesStripe: Sendable {
    let series = Mutex(StripeSlots())
}

/// State only the (single) committing appender touches: the label-set → ref map, the string
/// intern pool that makes equal label strings share one buffer, and ref allocation.
struct HeadWriterState: Sendable {
    var refs: [Labels: UInt64] = [:]
    var strings = StringPool()
    var epoch: UInt64 = 1
    var created: UInt64 = 0

    /// `labels` with pooled strings; the caller's own labels when they already are (a scrape
    /// cache pools its strings too, so a scraped series' labels are held once).
    mutating func interned(_ labels: Labels) -> Labels { strings.intern(labels) }
}

/// The in-memory block of the newest data: series, their chunks, and the postings index.
final class Head: Sendable {
    static let stripeCount = 1 << Int(HeadRef.stripeBits)

    let chunkRange: Int64
    let stripes: [SeriesStripe]
    let writer = Mutex(HeadWriterState())
    let index = Mutex(MemPostings())
    /// Samples older than this are out of bounds (their range is already in a block).
    let minValidTime = Atomic<Int64>(.min)
    let minTime = Atomic<Int64>(.max)
    let maxTime = Atomic<Int64>(.min)
    let counters = Mutex(MetricStoreStats())
    /// Odd while series are being ranked by labels; see `Head+LabelOrder.swift`.
    let rankingEpoch = Atomic<UInt64>(0)
    let ranking = Mutex(false)

    init(chunkRange: Int64) {
        self.chunkRange = chunkRange
        stripes = (0..<Head.stripeCount).map { _ in SeriesStripe() }
    }

    @inline(__always) func stripe(_ ref: UInt64) -> SeriesStripe { stripes[HeadRef.stripe(ref)] }

    /// The ref of `labels`, creating the series when new (`created` tells). Caller holds
    /// `writer`. Replay passes the ref the WAL recorded; it is kept unless its slot is taken.
    func getOrCreate(_ labels: Labels, in w: inout HeadWriterState, ref wanted: UInt64? = nil) -> (ref: UInt64, created: Bool) {
        if let r = w.refs[labels] { return (r, false) }
        let stored = w.interned(labels)
        // Runs of 64 new series share a stripe, so a scrape's series are adjacent in memory.
        let stripeIndex = wanted.map(HeadRef.stripe) ?? Int((w.created >> 6) & UInt64(Head.stripeCount - 1))
        w.created += 1
        let ref = stripes[stripeIndex].series.withLock { s -> UInt64 in
            if let wanted {
                let slot = HeadRef.slot(wanted)
                while s.slots.count <= slot { s.slots.append(.vacant) }
                if s.slots[slot].ref == 0 {
                    s.slots[slot] = MemSeries(ref: wanted, labels: stored)
                    s.count += 1
                    return wanted
                }
            }
            let slot: Int
            if !s.free.isEmpty, wanted == nil {
                slot = s.free.removeLast()
            } else {
                slot = s.slots.count
                s.slots.append(.vacant)
            }
            let ref = HeadRef.make(epoch: w.epoch, slot: slot, stripe: stripeIndex)
            s.slots[slot] = MemSeries(ref: ref, labels: stored)
            s.count += 1
            return ref
        }
        w.epoch = max(w.epoch, HeadRef.epoch(ref))
        w.refs[stored] = ref
        index.withLock { $0.add(ref, stored) }
        counters.withLock { $0.seriesCreated += 1 }
        return (ref, true)
    }

    /// After replay: vacant slots become reusable, and new refs get a fresh epoch.
    func finishReplay(in w: inout HeadWriterState) {
        w.epoch += 1
        for st in stripes {
            st.series.withLock { s in
                s.free = s.slots.indices.filter { s.slots[$0].ref == 0 }.reversed()
            }
        }
    }

    /// Appends one sample to an existing series: the in-memory hot path.
    @inline(__always)
    func append(ref: UInt64, t: Int64, v: Double) -> AppendOutcome? {
        let range = chunkRange
        return stripe(ref).series.withLock { s -> AppendOutcome? in
            let i = HeadRef.slot(ref)
            guard i < s.slots.count, s.slots[i].ref == ref else { return nil }
            return s.slots[i].append(t: t, v: v, chunkRange: range)
        }
    }

    /// Appends many samples, taking each stripe's lock once per run of refs that share it
    /// (series created together share a stripe, so a scrape's samples form long runs).
    /// `outcome` hears about every sample, in order; nil means an unknown ref.
    @inline(__always)
    func append(
        refs: UnsafeBufferPointer<UInt64>, ts: UnsafeBufferPointer<Int64>, vs: UnsafeBufferPointer<Double>,
        outcome: (Int, AppendOutcome?) -> Void
    ) {
        let range = chunkRange
        let n = refs.count
        var i = 0
        while i < n {
            let stripeIndex = HeadRef.stripe(refs[i])
            stripes[stripeIndex].series.withLock { s in
                while i < n && HeadRef.stripe(refs[i]) == stripeIndex {
                    let ref = refs[i]
                    let k = HeadRef.slot(ref)
                    if k < s.slots.count && s.slots[k].ref == ref {
                        outcome(i, s.slots[k].append(t: ts[i], v: vs[i], chunkRange: range))
                    } else {
                        outcome(i, nil)
                    }
                    i += 1
                }
            }
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
        stripes.reduce(0) { n, s in n + s.series.withLock { $0.slots.reduce(0) { $0 + $1.chunkCount } } }
    }

    /// Refs of the series `matchers` select, sorted.
    func refs(matching matchers: [LabelMatcher]) -> [UInt64] {
        index.withLock { p in
            p.ensureSorted()
            return p.select(matchers)
        }
    }

    /// Labels of selected series having any sample in `[from, through]`.
    func series(matching matchers: [LabelMatcher], from: Int64, through: Int64) -> [Labels] {
        var out: [Labels] = []
        for r in refs(matching: matchers) {
            let l = stripe(r).series.withLock { s -> Labels? in
                guard let m = s.series(r), !m.isEmpty else { return nil }
                return m.minTime <= through && m.lastT >= from ? m.labels : nil
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
        for st in stripes {
            st.series.withLock { s in
                for i in s.slots.indices where s.slots[i].ref != 0 {
                    if s.slots[i].truncate(before: minT) && s.slots[i].lastT < minT {
                        removed.append((s.slots[i].ref, s.slots[i].labels))
                        s.slots[i] = .vacant
                        s.free.append(i)
                        s.count -= 1
                    } else {
                        newMin = min(newMin, max(s.slots[i].minTime, minT))
                    }
                }
            }
        }
        if !removed.isEmpty { w.epoch += 1 }
        for r in removed { w.refs[r.labels] = nil }
        if !removed.isEmpty { w.strings.prune(keeping: w.refs.keys) }
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
        for st in stripes {
            st.series.withLock { s in
                for m in s.slots where m.ref != 0 {
                    let cs = m.chunks(from: minT, through: maxT - 1).filter { $0.minT >= minT && $0.maxT < maxT }
                    if !cs.isEmpty { out.append((m.labels, cs)) }
                }
            }
        }
        return out
    }

    func contains(ref: UInt64) -> Bool { stripe(ref).series.withLock { $0.index(of: ref) != nil } }
}
