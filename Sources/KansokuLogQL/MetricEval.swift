import KansokuCore
import KansokuLogStore

/// A series over the query's steps (nil where it has no value).
struct Row: Sendable {
    var labels: Labels
    var values: [Double?]
}

enum EvalValue: Sendable {
    case rows([Row])
    case scalar([Double])
}

/// Evaluates metric expressions at every step of a query.
struct MetricEvaluator {
    let reader: any LogReader
    let tenant: String
    /// Evaluation times, unix ns, ascending.
    let steps: [Int64]
    let stats: StatsCollector

    func eval(_ e: SampleExpr) async throws(LogQLError) -> EvalValue {
        switch e {
        case .literal(let v):
            return .scalar([Double](repeating: v, count: steps.count))
        case .vector(let v):
            return .rows([Row(labels: Labels(), values: [Double?](repeating: v, count: steps.count))])
        case .rangeAggregation(let r):
            return .rows(try await rangeAggregation(r))
        case .vectorAggregation(let v):
            if let r = WindowAggregate.foldable(v), let rows = try await foldedRows(v, r) { return .rows(rows) }
            guard case .rows(let rows) = try await eval(v.inner) else {
                throw .execution("unexpected scalar operand of \(v.op.rawValue)")
            }
            return .rows(try VectorMath.aggregate(v, rows, steps: steps.count))
        case .binary(let b):
            let l = try await eval(b.lhs)
            let r = try await eval(b.rhs)
            return try VectorMath.binary(b, l, r, steps: steps.count)
        case .labelReplace(let l):
            guard case .rows(let rows) = try await eval(l.inner) else { throw .execution("label_replace needs a vector") }
            return .rows(VectorMath.labelReplace(l, rows))
        }
    }

    func rangeAggregation(_ r: RangeAggregationExpr) async throws(LogQLError) -> [Row] {
        let range = r.range
        let hi = steps.last! - range.offset
        let lo = steps.first! - range.offset - range.range
        if WindowCounts.applies(r.op, range) { return try await countedRows(r, lo: lo, hi: hi) }
        var samples = try await SampleCollect.collect(range, op: r.op, reader: reader, tenant: tenant, lo: lo, hi: hi, stats: stats)
        for (labels, s) in samples {
            guard let err = labels[LabelsBuilder.errorLabel] else { continue }
            var inWindow = false
            forEachWindow(s, range) { _, a, b in if a < b { inWindow = true } }
            if inWindow { throw Self.pipelineError(err, labels) }
        }
        if let g = r.grouping {
            var grouped: [Labels: SeriesSamples] = [:]
            for (labels, s) in samples {
                let key = VectorMath.groupLabels(labels, g)
                grouped[key, default: SeriesSamples()].ts.append(contentsOf: s.ts)
                grouped[key]!.values.append(contentsOf: s.values)
            }
            for (k, s) in grouped where !SampleCollect.isSorted(s.ts) {
                let order = s.ts.indices.sorted { (s.ts[$0], $0) < (s.ts[$1], $1) }
                grouped[k] = SeriesSamples(ts: order.map { s.ts[$0] }, values: order.map { s.values[$0] })
            }
            samples = grouped.map { ($0.key, $0.value) }
        }
        if r.op == .absentOverTime {
            var present = [Bool](repeating: false, count: steps.count)
            for (_, s) in samples {
                forEachWindow(s, range) { i, a, b in if a < b { present[i] = true } }
            }
            var labels: [Label] = []
            var seen = Set<String>()
            var dup = Set<String>()
            for m in range.selector.matchers where m.type == .equal {
                if !seen.insert(m.name).inserted { dup.insert(m.name) }
                labels.append(Label(name: m.name, value: m.value))
            }
            let absentLabels = Labels(labels.filter { !dup.contains($0.name) })
            let values: [Double?] = present.map { $0 ? nil : 1 }
            return values.contains { $0 != nil } ? [Row(labels: absentLabels, values: values)] : []
        }
        var rows: [Row] = []
        rows.reserveCapacity(samples.count)
        let hasUnwrap = range.unwrap != nil
        for (labels, s) in samples {
            var values = [Double?](repeating: nil, count: steps.count)
            var any = false
            forEachWindow(s, range) { i, a, b in
                guard a < b else { return }
                values[i] = RangeFunctions.apply(r.op, param: r.parameter, ts: s.ts[a..<b], values: s.values[a..<b],
                                                 rangeNs: range.range, windowEnd: steps[i] - range.offset, hasUnwrap: hasUnwrap)
                if values[i] != nil { any = true }
            }
            if any {
                rows.append(Row(labels: labels, values: values))
            }
        }
        return rows
    }

    /// `v` folded as streams are counted (`WindowAggregate`), or nil to evaluate it row by row.
    func foldedRows(_ v: VectorAggregationExpr, _ r: RangeAggregationExpr) async throws(LogQLError) -> [Row]? {
        let hi = steps.last! - r.range.offset
        let lo = steps.first! - r.range.offset - r.range.range
        let windows = StepWindows(steps: steps, offset: r.range.offset, range: r.range.range)
        return try await WindowAggregate.rows(v, r, windows: windows, reader: reader, tenant: tenant, lo: lo, hi: hi, stats: stats)
    }

    /// `rangeAggregation` for functions of line and byte counts only (`WindowCounts`).
    func countedRows(_ r: RangeAggregationExpr, lo: Int64, hi: Int64) async throws(LogQLError) -> [Row] {
        let range = r.range
        let windows = StepWindows(steps: steps, offset: range.offset, range: range.range)
        var series = try await WindowCounts.collect(range, op: r.op, windows: windows, reader: reader, tenant: tenant,
                                                    lo: lo, hi: hi, stats: stats)
        for (labels, s) in series {
            guard let err = labels[LabelsBuilder.errorLabel] else { continue }
            if s.totals().contains(where: { $0.lines > 0 }) { throw Self.pipelineError(err, labels) }
        }
        if let g = r.grouping {
            var grouped: [Labels: WindowSums] = [:]
            for (labels, s) in series {
                let key = VectorMath.groupLabels(labels, g)
                if grouped[key] == nil { grouped[key] = s } else { grouped[key]!.add(s) }
            }
            series = grouped.map { ($0.key, $0.value) }
        }
        let seconds = Double(range.range) / 1e9
        var rows: [Row] = []
        rows.reserveCapacity(series.count)
        for (labels, s) in series {
            var values = [Double?](repeating: nil, count: steps.count)
            var any = false
            var lines = 0, bytes = 0
            for i in 0..<steps.count {
                lines &+= s.lines[i]
                if !s.bytes.isEmpty { bytes &+= s.bytes[i] }
                values[i] = WindowCounts.value(r.op, lines: lines, bytes: bytes, rangeSeconds: seconds)
                if values[i] != nil { any = true }
            }
            if any { rows.append(Row(labels: labels, values: values)) }
        }
        return rows
    }

    static func pipelineError(_ err: String, _ labels: Labels) -> LogQLError {
        .execution("pipeline error: '\(err)' for series: '\(labels)'.\nUse a label filter to intentionally skip this error. (e.g | __error__!=\"\(err)\").\nTo skip all potential errors you can match empty errors.(e.g __error__=\"\")\nThe label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )\n")
    }

    /// Calls `body(step, from, to)` with each step's window `(t - offset - range, t - offset]`
    /// as an index range into the samples.
    func forEachWindow(_ s: SeriesSamples, _ range: LogRangeExpr, _ body: (Int, Int, Int) -> Void) {
        var a = 0, b = 0
        for (i, t) in steps.enumerated() {
            let hi = t - range.offset, lo = hi - range.range
            while a < s.ts.count, s.ts[a] <= lo { a += 1 }
            if b < a { b = a }
            while b < s.ts.count, s.ts[b] <= hi { b += 1 }
            // windows may overlap backwards when steps are smaller than... they never move back
            body(i, a, b)
        }
    }
}
