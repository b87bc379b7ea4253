import KansokuCore

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
        let epoch = rankingEpoch.load(ordering: .acquiring)
        var found: [(rank: UInt32, labels: Labels, chunks: [HeadChunk])] = []
        var unranked = 0
        for r in refs(matching: matchers) {
            let item = stripe(r).series.withLock { s -> (UInt32, Labels, [HeadChunk])? in
                guard let i = s.index(of: r) else { return nil }
                let m = s.slots[i]
                return (m.labelRank, m.labels, m.chunks(from: from, through: through))
            }
            guard let (rank, labels, chunks) = item, !chunks.isEmpty else { continue }
            if rank == .max { unranked += 1 }
            found.append((rank, labels, chunks))
        }
        let consistent = epoch & 1 == 0 && rankingEpoch.load(ordering: .acquiring) == epoch
        if consistent {
            // Ranks order exactly as labels do, so this is `labelsLess` with integer keys.
            found.sort { a, b in
                a.rank != .max && b.rank != .max ? a.rank < b.rank : labelsLess(a.labels, b.labels)
            }
        } else {
            found.sort { labelsLess($0.labels, $1.labels) }
        }
        // Rank again once new series are more than a few of those read.
        if !consistent || unranked * 16 > found.count { rankSeriesByLabels() }
        return found.map { ($0.labels, $0.chunks) }
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
