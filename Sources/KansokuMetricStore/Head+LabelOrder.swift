import Dispatch
import Foundation
import KansokuCore
import Synchronization

/// Selections in label order without comparing label sets on every query.
///
/// PromQL reads series in label order (it fixes the order of aggregation and results), and
/// sorting 100,000 label sets string by string took a fifth of an instant query. Every head
/// series instead carries its rank among all series in label order, assigned by one sort
/// that runs again only after new series have appeared; a query sorts its series by rank,
/// falling back to comparing labels for series that arrived since the last ranking. Ranks
/// stay consistent as series go (removal keeps the relative order of the rest), and a query
/// that overlapped a ranking, and so may have read ranks of two rankings, compares labels.
extension Head {
    /// Labels and chunks overlapping `[from, through]` of the selected series, in label
    /// order (`labelsLess`).
    func chunks(matching matchers: [LabelMatcher], from: Int64, through: Int64) -> [(labels: Labels, chunks: [HeadChunk])] {
        selected(matching: matchers, context: {}, { m, _ in
            let c = m.chunks(from: from, through: through)
            return c.isEmpty ? nil : c
        }, make: { ($0, $1) })
    }

    /// Samples in `[from, through]` of the selected series, in label order, decoded under
    /// each series' stripe lock straight from its chunks into columns shared by all the
    /// series one core reads.
    func columns(matching matchers: [LabelMatcher], from: Int64, through: Int64, newestOnly: Bool) -> [QueryableSeries] {
        selected(matching: matchers, context: { SampleColumns(capacity: 1 << 12) }, { m, columns -> (columns: SampleColumns, span: Range<Int>)? in
            let first = columns.count
            if newestOnly, let newest = m.newest, newest.t <= through {
                guard newest.t >= from else { return nil }
                columns.append(newest.t, newest.v)
            } else {
                m.decode(from: from, through: through, into: columns)
                guard columns.count > first else { return nil }
            }
            let span = newestOnly ? columns.count - 1..<columns.count : first..<columns.count
            return (columns, span)
        }, make: { labels, s in QueryableSeries(labels: labels, columns: s.columns, span: s.span) })
    }

    /// What `read` makes of each selected series (nil leaves it out), shaped by `make`, in
    /// label order. `read` runs under the series' stripe lock on the series in place (a copy
    /// would retain and release all it holds); large selections are split over the cores,
    /// each part with a `context` of its own.
    func selected<Context, T: Sendable, R>(matching matchers: [LabelMatcher], context: @escaping @Sendable () -> Context,
                                           _ read: @escaping @Sendable (inout MemSeries, inout Context) -> T?,
                                           make: (consuming Labels, consuming T) -> R) -> [R] {
        let epoch = rankingEpoch.load(ordering: .acquiring)
        let refs = self.refs(matching: matchers)
        let partCount = refs.count >= 8192 ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1
        let results = Mutex([[(rank: UInt32, labels: Labels, value: T?)]](repeating: [], count: partCount))
        DispatchQueue.concurrentPerform(iterations: partCount) { part in
            var out: [(rank: UInt32, labels: Labels, value: T?)] = []
            var own = context()
            let mine = refs[(refs.count * part / partCount)..<(refs.count * (part + 1) / partCount)]
            out.reserveCapacity(mine.count)
            for r in mine {
                stripe(r).series.withLock { s in
                    guard let i = s.index(of: r), let v = read(&s.slots[i], &own) else { return }
                    out.append((s.slots[i].labelRank, s.slots[i].labels, v))
                }
            }
            results.withLock { $0[part] = out }
        }
        var parts = results.withLock { r in
            defer { r = [] }
            return r
        }
        // Entries are ordered by position (part, index), never copied, and moved out into
        // the result: each copy of an entry retains and releases what it holds, a cache
        // miss on a cold object each.
        var positions: [(part: Int, index: Int)] = []
        positions.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var unranked = 0
        for p in parts.indices {
            for i in parts[p].indices {
                positions.append((p, i))
                if parts[p][i].rank == .max { unranked += 1 }
            }
        }
        let consistent = epoch & 1 == 0 && rankingEpoch.load(ordering: .acquiring) == epoch
        if consistent && unranked == 0 {
            var keys = positions.indices.map { UInt64(parts[positions[$0].part][positions[$0].index].rank) << 32 | UInt64($0) }
            keys.sort()
            positions = keys.map { positions[Int($0 & 0xFFFF_FFFF)] }
        } else {
            // Ranks order exactly as labels do, so this is `labelsLess`, with integer keys
            // wherever both series have one.
            positions.sort { a, b in
                let (x, y) = (parts[a.part][a.index].rank, parts[b.part][b.index].rank)
                return consistent && x != .max && y != .max ? x < y
                    : labelsLess(parts[a.part][a.index].labels, parts[b.part][b.index].labels)
            }
        }
        // Rank again once new series are more than a few of those read.
        if !consistent || unranked * 16 > positions.count { rankSeriesByLabels() }
        return positions.map { at in
            var labels = Labels()
            swap(&labels, &parts[at.part][at.index].labels)
            return make(labels, parts[at.part][at.index].value.take()!)
        }
    }

    /// Gives every series its rank in label order. One ranking at a time; a caller arriving
    /// during one leaves it to finish.
    func rankSeriesByLabels() {
        let mine = ranking.withLock { busy in
            defer { busy = true }
            return !busy
        }
        guard mine else { return }
        defer { ranking.withLock { $0 = false } }
        rankingEpoch.add(1, ordering: .acquiringAndReleasing)
        defer { rankingEpoch.add(1, ordering: .acquiringAndReleasing) }
        var all: [(labels: Labels, ref: UInt64)] = []
        for st in stripes {
            st.series.withLock { s in
                for m in s.slots where m.ref != 0 { all.append((m.labels, m.ref)) }
            }
        }
        all.sort { labelsLess($0.labels, $1.labels) }
        for (rank, e) in all.enumerated() {
            stripe(e.ref).series.withLock { s in
                if let i = s.index(of: e.ref) { s.slots[i].labelRank = UInt32(truncatingIfNeeded: rank) }
            }
        }
    }
}
