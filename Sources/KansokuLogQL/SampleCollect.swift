import KansokuCore
import KansokuLogStore

/// The samples of one series: timestamps (ns, ascending) and values.
struct SeriesSamples: Sendable {
    var ts: [Int64] = []
    var values: [Double] = []
}

/// Samples gathered by scans: series that are their stream (filter-only pipelines), in the
/// order of the scanned blocks, and series whose labels the pipeline made.
struct CollectedSamples: Sendable {
    /// Blocks are scanned stream by stream, so a stream's samples always extend the last entry.
    var streams: [(stream: StreamInfo, samples: SeriesSamples)] = []
    var byLabels: [Labels: SeriesSamples] = [:]

    mutating func add(stream: StreamInfo, _ s: SeriesSamples) {
        guard !s.ts.isEmpty else { return }
        if let last = streams.indices.last, streams[last].stream.id == stream.id {
            streams[last].samples.ts.append(contentsOf: s.ts)
            streams[last].samples.values.append(contentsOf: s.values)
        } else {
            streams.append((stream, s))
        }
    }

    /// Appends another part's samples (of blocks scanned after this part's).
    mutating func merge(_ o: CollectedSamples) {
        for (stream, s) in o.streams { add(stream: stream, s) }
        for (labels, s) in o.byLabels {
            byLabels[labels, default: SeriesSamples()].ts.append(contentsOf: s.ts)
            byLabels[labels]!.values.append(contentsOf: s.values)
        }
    }

    /// One entry per series; a stream's samples and the pipeline's of the same labels are one.
    func series() -> [(labels: Labels, samples: SeriesSamples)] {
        if byLabels.isEmpty { return streams.map { ($0.stream.labels, $0.samples) } }
        var all = byLabels
        for (stream, s) in streams {
            all[stream.labels, default: SeriesSamples()].ts.append(contentsOf: s.ts)
            all[stream.labels]!.values.append(contentsOf: s.values)
        }
        return all.map { ($0.key, $0.value) }
    }
}

/// Turns the entries of a log range into per-series samples: 1 per line for counting
/// functions, the line length for byte functions, the unwrapped label otherwise.
enum SampleCollect {
    enum ValueKind: Sendable {
        case one, lineBytes, unwrap(UnwrapExpr, [CompiledLabelFilter])
        var isLineBytes: Bool { if case .lineBytes = self { return true }; return false }
    }

    static func kind(for op: RangeOp, _ range: LogRangeExpr) throws(LogQLError) -> ValueKind {
        if let u = range.unwrap {
            var post: [CompiledLabelFilter] = []
            for f in u.postFilters { post.append(try CompiledLabelFilter(f)) }
            return .unwrap(u, post)
        }
        switch op {
        case .bytesOverTime, .bytesRate: return .lineBytes
        default: return .one
        }
    }

    /// Samples with timestamps in `(lo, hi]`, one entry per series.
    static func collect(_ range: LogRangeExpr, op: RangeOp, reader: any LogReader, tenant: String, lo: Int64, hi: Int64,
                        stats: StatsCollector) async throws(LogQLError) -> [(labels: Labels, samples: SeriesSamples)] {
        let pipeline = try LogPipeline(range.selector)
        let kind = try kind(for: op, range)
        var st = QueryStats()
        let tasks = BlockScan.tasks(reader: reader, tenant: tenant, matchers: range.selector.matchers, from: lo + 1, through: hi,
                                    literals: pipeline.requiredLiterals, ordered: false, stats: &st)
        let parts = try await BlockScan.map(BlockScan.groups(tasks)) { (group: [BlockTask]) throws -> (CollectedSamples, QueryStats) in
            var part = CollectedSamples()
            var st = QueryStats()
            for t in group { try scan(t, pipeline: pipeline, kind: kind, lo: lo, hi: hi, into: &part, stats: &st) }
            return (part, st)
        }
        var merged = CollectedSamples()
        for (p, s) in parts {
            st.add(s)
            merged.merge(p)
        }
        stats.add(st)
        var out = merged.series()
        for i in out.indices where !isSorted(out[i].samples.ts) {
            let s = out[i].samples
            let order = s.ts.indices.sorted { (s.ts[$0], $0) < (s.ts[$1], $1) }
            out[i].samples = SeriesSamples(ts: order.map { s.ts[$0] }, values: order.map { s.values[$0] })
        }
        return out
    }

    static func isSorted(_ a: [Int64]) -> Bool {
        var i = 1
        while i < a.count { if a[i] < a[i - 1] { return false }; i += 1 }
        return true
    }

    /// Adds the samples of one block to `out`.
    static func scan(_ t: BlockTask, pipeline: LogPipeline, kind: ValueKind, lo: Int64, hi: Int64,
                     into out: inout CollectedSamples, stats st: inout QueryStats) throws {
        st.blocksRead += 1
        if t.block.isCompressed { st.chunksDecompressed += 1 }
        try t.block.withEntries { (e: BlockEntries) throws(LogQLError) in
            let first = BlockScan.lowerBound(e.timestamps, lo + 1)
            let end = BlockScan.lowerBound(e.timestamps, hi + 1)
            guard first < end else { return }
            let fast: Bool
            if pipeline.isFilterOnly, e.metadata.isEmpty, case .unwrap = kind { fast = false } else {
                fast = pipeline.isFilterOnly && e.metadata.isEmpty
            }
            if fast {
                // Filter-only pipeline: the series is the stream; no per-line allocation.
                var s = SeriesSamples()
                let bytes = kind.isLineBytes
                var scanned = 0
                let whole = pipeline.forEachMatchingLine(e, first, end) { k in
                    s.ts.append(e.timestamps[k])
                    s.values.append(bytes ? Double(e.starts[k + 1] - e.starts[k]) : 1)
                }
                if whole {
                    st.bytesProcessed += e.starts[end] - e.starts[first]
                    st.linesProcessed += end - first
                    out.add(stream: t.stream, s)
                    return
                }
                for k in first..<end {
                    let line = e.line(k)
                    scanned &+= line.count
                    guard pipeline.matchesLine(line) else { continue }
                    s.ts.append(e.timestamps[k])
                    s.values.append(bytes ? Double(line.count) : 1)
                }
                st.bytesProcessed += scanned
                st.linesProcessed += end - first
                out.add(stream: t.stream, s)
                return
            }
            for k in first..<end {
                let line = e.line(k)
                st.linesProcessed += 1
                st.bytesProcessed += line.count
                var lb = LabelsBuilder(base: t.stream.labels)
                if !e.metadata.isEmpty, !e.metadata[k].isEmpty { lb.addMetadata(e.metadata[k]) }
                guard let newLine = pipeline.run(timestamp: e.timestamps[k], line: line, builder: &lb) else { continue }
                let value: Double
                switch kind {
                case .one: value = 1
                case .lineBytes: value = Double(newLine?.count ?? line.count)
                case .unwrap(let u, let post):
                    guard let v = extract(u, &lb) else { continue }
                    var ok = true
                    for f in post where !f.process(&lb) { ok = false; break }
                    if !ok { continue }
                    lb.delete(u.label)
                    value = v
                }
                let labels = lb.labels()
                out.byLabels[labels, default: SeriesSamples()].ts.append(e.timestamps[k])
                out.byLabels[labels]!.values.append(value)
            }
        }
    }

    /// The unwrapped value; nil when the label is absent or empty. A value that does not
    /// convert marks the entry with `SampleExtractionErr` and counts as 0.
    static func extract(_ u: UnwrapExpr, _ lb: inout LabelsBuilder) -> Double? {
        guard let s = lb.get(u.label), !s.isEmpty else { return nil }
        switch u.conversion {
        case .none:
            if let v = GoFloat.parse(s.trimmingSpaces) { return v }
            lb.setError("SampleExtractionErr", details: "strconv.ParseFloat: parsing \(goQuoted(s)): invalid syntax")
        case .bytes:
            if let v = ByteSize.parse(s.replacingOccurrences(of: " ", with: "")) { return Double(v) }
            lb.setError("SampleExtractionErr", details: "strconv.ParseFloat: parsing \(goQuoted(s)): invalid syntax")
        case .duration, .durationSeconds:
            if let v = GoDuration.parse(s) { return Double(v) / 1e9 }
            lb.setError("SampleExtractionErr", details: GoDuration.parseError(s))
        }
        return 0
    }
}
