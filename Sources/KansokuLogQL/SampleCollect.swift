import KansokuCore
import KansokuLogStore

/// The samples of one series: timestamps (ns, ascending) and values.
struct SeriesSamples: Sendable {
    var ts: [Int64] = []
    var values: [Double] = []
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

    /// Samples with timestamps in `(lo, hi]`.
    static func collect(_ range: LogRangeExpr, op: RangeOp, reader: any LogReader, tenant: String, lo: Int64, hi: Int64,
                        stats: StatsCollector) async throws(LogQLError) -> [Labels: SeriesSamples] {
        let pipeline = try LogPipeline(range.selector)
        let kind = try kind(for: op, range)
        var st = QueryStats()
        let tasks = BlockScan.tasks(reader: reader, tenant: tenant, matchers: range.selector.matchers, from: lo + 1, through: hi,
                                    literals: pipeline.requiredLiterals, stats: &st)
        let parts = try await BlockScan.map(tasks) { (t: BlockTask) throws -> ([Labels: SeriesSamples], QueryStats) in
            try scan(t, pipeline: pipeline, kind: kind, lo: lo, hi: hi)
        }
        var merged: [Labels: SeriesSamples] = [:]
        for (p, s) in parts {
            st.add(s)
            for (labels, samples) in p {
                if merged[labels] == nil { merged[labels] = samples; continue }
                merged[labels]!.ts.append(contentsOf: samples.ts)
                merged[labels]!.values.append(contentsOf: samples.values)
            }
        }
        stats.add(st)
        for (k, s) in merged where !isSorted(s.ts) {
            let order = s.ts.indices.sorted { (s.ts[$0], $0) < (s.ts[$1], $1) }
            merged[k] = SeriesSamples(ts: order.map { s.ts[$0] }, values: order.map { s.values[$0] })
        }
        return merged
    }

    static func isSorted(_ a: [Int64]) -> Bool {
        var i = 1
        while i < a.count { if a[i] < a[i - 1] { return false }; i += 1 }
        return true
    }

    static func scan(_ t: BlockTask, pipeline: LogPipeline, kind: ValueKind, lo: Int64, hi: Int64) throws -> ([Labels: SeriesSamples], QueryStats) {
        var st = QueryStats()
        st.blocksRead = 1
        if t.block.isCompressed { st.chunksDecompressed = 1 }
        var out: [Labels: SeriesSamples] = [:]
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
                    if !s.ts.isEmpty { out[t.stream.labels] = s }
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
                if !s.ts.isEmpty { out[t.stream.labels] = s }
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
                out[labels, default: SeriesSamples()].ts.append(e.timestamps[k])
                out[labels]!.values.append(value)
            }
        }
        return (out, st)
    }

    /// The unwrapped value; nil when the label is absent or empty. A value that does not
    /// convert marks the entry with `SampleExtractionErr` and counts as 0.
    static func extract(_ u: UnwrapExpr, _ lb: inout LabelsBuilder) -> Double? {
        guard let s = lb.get(u.label), !s.isEmpty else { return nil }
        switch u.conversion {
        case .none:
            if let v = parseGoFloat(s.trimmingSpaces) { return v }
            lb.setError("SampleExtractionErr", details: "strconv.ParseFloat: parsing \(goQuoted(s)): invalid syntax")
        case .bytes:
            if let v = ByteSize.parse(s.replacingOccurrences(of: " ", with: "")) { return Double(v) }
            lb.setError("SampleExtractionErr", details: "strconv.ParseFloat: parsing \(goQuoted(s)): invalid syntax")
        case .duration, .durationSeconds:
            if let v = DurationParsing.parseGo(s) { return Double(v) / 1e9 }
            lb.setError("SampleExtractionErr", details: DurationParsing.goError(s))
        }
        return 0
    }
}
