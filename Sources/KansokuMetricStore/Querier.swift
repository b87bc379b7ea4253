public import KansokuCore

extension MetricStore {
    /// Samples in `[from, through]` (ms, inclusive) of every series all `matchers` select,
    /// merged across blocks and head, series sorted by labels. Needs at least one matcher
    /// that does not match the empty string to select anything, as in Prometheus.
    public func select(matchers: [LabelMatcher], from: Int64, through: Int64) -> [SeriesSamples] {
        guard !matchers.isEmpty, from <= through else { return [] }
        // Each block lists its series in label order (ids follow it), and the head hands its
        // selection over in label order too, so sources merge like sorted lists: no hashing of
        // label sets, no sort, and a query over one source (usually the head) is a pass.
        var merged: [SeriesSamples] = []
        func add(_ source: [SeriesSamples]) {
            merged = merged.isEmpty ? source : Self.mergeByLabels(merged, source)
        }
        for b in blocks.snapshot where b.maxTime > from && b.minTime <= through {
            var fromBlock: [SeriesSamples] = []
            for id in b.select(matchers) {
                guard let e = b.series(id) else { continue }
                var s: [Sample] = []
                b.samples(of: e, from: from, through: through, into: &s)
                if !s.isEmpty { fromBlock.append(SeriesSamples(labels: e.labels, samples: BlockSet.sortedUnique(s))) }
            }
            add(fromBlock)
        }
        var fromHead: [SeriesSamples] = []
        for (labels, chunks) in head.chunks(matching: matchers, from: from, through: through) {
            var s: [Sample] = []
            for c in chunks { XORChunk.decode(c.bytes, from: from, through: through, into: &s) }
            if !s.isEmpty { fromHead.append(SeriesSamples(labels: labels, samples: BlockSet.sortedUnique(s))) }
        }
        add(fromHead)
        return merged
    }

    /// `select` as columns of times and values, the shape the PromQL engine reads. When only
    /// the head holds samples of the range (live data), its chunks decode straight into the
    /// columns, with no sample array per series to copy from. `newestOnly` keeps only each
    /// series' newest sample in the range, which the head mostly has at hand without
    /// decoding anything.
    public func selectColumns(matchers: [LabelMatcher], from: Int64, through: Int64, newestOnly: Bool = false) -> [QueryableSeries] {
        guard !matchers.isEmpty, from <= through else { return [] }
        if blocks.snapshot.contains(where: { $0.maxTime > from && $0.minTime <= through }) {
            let selected = select(matchers: matchers, from: from, through: through)
            let columns = SampleColumns(capacity: selected.reduce(0) { $0 + (newestOnly ? 1 : $1.samples.count) })
            return selected.map {
                let first = columns.count
                for s in newestOnly ? $0.samples.suffix(1) : $0.samples[...] { columns.append(s.t, s.v) }
                return QueryableSeries(labels: $0.labels, columns: columns, span: first..<columns.count)
            }
        }
        return head.columns(matching: matchers, from: from, through: through, newestOnly: newestOnly)
    }

    /// Two label-ordered selections as one: a series in both gets the samples of both, in
    /// time order, each timestamp once (the first source's sample wins, as blocks come
    /// before the head).
    static func mergeByLabels(_ a: [SeriesSamples], _ b: [SeriesSamples]) -> [SeriesSamples] {
        var out: [SeriesSamples] = []
        out.reserveCapacity(max(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if labelsLess(a[i].labels, b[j].labels) {
                out.append(a[i]); i += 1
            } else if labelsLess(b[j].labels, a[i].labels) {
                out.append(b[j]); j += 1
            } else {
                out.append(SeriesSamples(labels: a[i].labels, samples: BlockSet.sortedUnique(a[i].samples + b[j].samples)))
                i += 1; j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    /// Label sets of the selected series with data in `[from, through]`, sorted.
    public func series(matchers: [LabelMatcher], from: Int64, through: Int64) -> [Labels] {
        guard !matchers.isEmpty, from <= through else { return [] }
        var set = Set<Labels>()
        for b in blocks.snapshot where b.maxTime > from && b.minTime <= through {
            for id in b.select(matchers) {
                guard let e = b.series(id) else { continue }
                if e.chunks.contains(where: { $0.maxT >= from && $0.minT <= through }) { set.insert(e.labels) }
            }
        }
        for l in head.series(matching: matchers, from: from, through: through) { set.insert(l) }
        return set.sorted(by: labelsLess)
    }

    /// Label names present in `[from, through]`, restricted to the selected series when
    /// matchers are given; sorted.
    public func labelNames(matchers: [LabelMatcher] = [], from: Int64, through: Int64) -> [String] {
        var names = Set<String>()
        if matchers.isEmpty {
            for b in blocks.snapshot where b.maxTime > from && b.minTime <= through { names.formUnion(b.names) }
            if headOverlaps(from, through) { names.formUnion(head.index.withLock { $0.names }) }
        } else {
            for l in series(matchers: matchers, from: from, through: through) { for x in l { names.insert(x.name) } }
        }
        return names.sorted()
    }

    /// Values of label `name` in `[from, through]`, restricted to the selected series when
    /// matchers are given; sorted.
    public func labelValues(name: String, matchers: [LabelMatcher] = [], from: Int64, through: Int64) -> [String] {
        var values = Set<String>()
        if matchers.isEmpty {
            for b in blocks.snapshot where b.maxTime > from && b.minTime <= through { values.formUnion(b.values(of: name)) }
            if headOverlaps(from, through) { values.formUnion(head.index.withLock { $0.values(of: name) }) }
        } else {
            for l in series(matchers: matchers, from: from, through: through) { if let v = l[name] { values.insert(v) } }
        }
        values.remove("")
        return values.sorted()
    }

    private func headOverlaps(_ from: Int64, _ through: Int64) -> Bool {
        let lo = head.minTime.load(ordering: .relaxed), hi = head.maxTime.load(ordering: .relaxed)
        return lo <= hi && hi >= from && lo <= through
    }

    /// Current counters and gauges (for `/metrics`).
    public func stats() -> MetricStoreStats {
        var s = head.counters.withLock { $0 }
        s.headSeries = head.seriesCount
        s.headChunks = head.chunkCount
        let lo = head.minTime.load(ordering: .relaxed), hi = head.maxTime.load(ordering: .relaxed)
        s.headMinTime = lo <= hi ? lo : 0
        s.headMaxTime = lo <= hi ? hi : 0
        let bs = blocks.snapshot
        s.blocks = bs.count
        s.blockBytes = bs.reduce(0) { $0 + $1.sizeOnDisk }
        let f = wal.fsyncStats.withLock { $0 }
        s.walFsyncs = f.count
        s.walFailedBatches = f.failedBatches
        s.walFsyncSeconds = f.seconds
        s.walFsyncBuckets = f.buckets
        s.walSegments = ((try? FileIO.listDirectory(config.directory + "/wal")) ?? []).filter { $0.count == 8 }.count
        return s
    }
}
