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
        var found: [(labels: Labels, chunks: [HeadChunk])] = []
        var ranks: [UInt32] = []
        var unranked = 0
        for r in refs(matching: matchers) {
            let item = stripe(r).series.withLock { s -> (UInt32, Labels, [HeadChunk])? in
                guard let i = s.index(of: r) else { return nil }
                let m = s.slots[i]
                return (m.labelRank, m.labels, m.chunks(from: from, through: through))
            }
            guard let (rank, labels, chunks) = item, !chunks.isEmpty else { continue }
            if rank == .max { unranked += 1 }
            found.append((labels, chunks))
            ranks.append(rank)
        }
        let consistent = epoch & 1 == 0 && rankingEpoch.load(ordering: .acquiring) == epoch
        // Positions are sorted, not the entries: moving an entry retains and releases its
        // labels and chunks.
        var order: [Int]
        if consistent && unranked == 0 {
            var keys = ranks.indices.map { UInt64(ranks[$0]) << 32 | UInt64($0) }
            keys.sort()
            order = keys.map { Int($0 & 0xFFFF_FFFF) }
        } else {
            // Ranks order exactly as labels do, so this is `labelsLess`, with integer keys
            // wherever both series have one.
            order = Array(found.indices)
            order.sort { a, b in
                consistent && ranks[a] != .max && ranks[b] != .max ? ranks[a] < ranks[b] : labelsLess(found[a].labels, found[b].labels)
            }
        }
        // Rank again once new series are more than a few of those read.
        if !consistent || unranked * 16 > found.count { rankSeriesByLabels() }
        return order.map { found[$0] }
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
