import KansokuCore
import KansokuLogStore

/// `sum`, `count`, `avg`, `min` and `max` over `count_over_time`, `rate`, `bytes_over_time`
/// or `bytes_rate` (`WindowCounts`), folded into their groups as each stream's counts are
/// complete. Over 100,000 small streams (one per camera) the query then keeps no row, no
/// per-series list and no sums of its own for a stream whose blocks' facts answer it whole:
/// building and freeing those was most of such a query's time.
enum WindowAggregate {
    /// The range aggregation under `v` when the fold computes `v` exactly.
    static func foldable(_ v: VectorAggregationExpr) -> RangeAggregationExpr? {
        switch v.op {
        case .sum, .count, .avg, .min, .max: break
        default: return nil
        }
        guard case .rangeAggregation(let r) = v.inner, r.grouping == nil, WindowCounts.applies(r.op, r.range) else { return nil }
        return r
    }

    /// Rows of `v` over `windows`, or nil when the fold cannot tell series apart exactly (a
    /// stream folded early might share its labels with a series of structured metadata): the
    /// caller then evaluates `v` row by row.
    static func rows(_ v: VectorAggregationExpr, _ r: RangeAggregationExpr, windows: StepWindows, reader: any LogReader,
                     tenant: String, lo: Int64, hi: Int64, stats: StatsCollector) async throws(LogQLError) -> [Row]? {
        let range = r.range
        let pipeline = try LogPipeline(range.selector)
        let withBytes = r.op == .bytesOverTime || r.op == .bytesRate
        let steps = windows.steps.count
        var fold = GroupFold(op: v.op, rangeOp: r.op, grouping: v.grouping, steps: steps, rangeSeconds: Double(range.range) / 1e9)
        var st = QueryStats()
        var countedStats = QueryStats()
        // The stream being listed: its counted blocks' sums, and whether any block is left to read.
        var current: StreamInfo?
        var sums = WindowSums(steps: steps, bytes: withBytes)
        var hasTask = false
        var pending: [(stream: StreamInfo, sums: WindowSums)] = []
        var pendingIndex: [UInt64: Int] = [:]
        var foldedEarly = 0
        var sawMetadata = false
        var cursor = StepWindows.Cursor()
        func finishStream() {
            guard let stream = current else { return }
            if hasTask {
                pendingIndex[stream.id] = pending.count
                pending.append((stream, sums))
            } else {
                fold.add(stream.labels, sums)
                foldedEarly += 1
            }
            sums.clear()
        }
        let counting = pipeline.stages.isEmpty
        let tasks = BlockScan.tasks(reader: reader, tenant: tenant, matchers: range.selector.matchers, from: lo + 1, through: hi,
                                    literals: pipeline.requiredLiterals, ordered: false, stats: &st) { stream, b in
            if stream.id != current?.id {
                finishStream()
                current = stream
                hasTask = false
            }
            if !b.withoutMetadata { sawMetadata = true }
            if counting, let held = WindowCounts.countedWindows(b, windows: windows, lo: lo, hi: hi, cursor: &cursor) {
                sums.add(held, lines: b.entryCount, bytes: b.rawSize)
                countedStats.linesProcessed += b.entryCount
                countedStats.bytesProcessed += b.rawSize
                return true
            }
            hasTask = true
            return false
        }
        finishStream()
        // Entries with structured metadata are series of their own, which could carry the
        // labels of another stream already folded: only a sum adds up the same either way.
        if sawMetadata && foldedEarly > 0 && v.op != .sum { return nil }
        st.add(countedStats)
        let parts = try await BlockScan.map(BlockScan.groups(tasks)) { (group: [BlockTask]) throws -> (WindowCounts.Part, QueryStats) in
            var part = WindowCounts.Part()
            var st = QueryStats()
            for t in group {
                try WindowCounts.scan(t, pipeline: pipeline, windows: windows, withBytes: withBytes, lo: lo, hi: hi, into: &part, stats: &st)
            }
            return (part, st)
        }
        var byLabels: [Labels: WindowSums] = [:]
        for (p, s) in parts {
            st.add(s)
            for (stream, s) in p.streams { if let i = pendingIndex[stream.id] { pending[i].sums.add(s) } }
            for (labels, s) in p.byLabels {
                if byLabels[labels] == nil { byLabels[labels] = s } else { byLabels[labels]!.add(s) }
            }
        }
        stats.add(st)
        if byLabels.isEmpty {
            for p in pending { fold.add(p.stream.labels, p.sums) }
            return fold.rows()
        }
        // A stream read in part and the pipeline's series of the same labels are one series.
        for p in pending {
            if byLabels[p.stream.labels] == nil { byLabels[p.stream.labels] = p.sums } else { byLabels[p.stream.labels]!.add(p.sums) }
        }
        for (labels, s) in byLabels {
            if let err = labels[LabelsBuilder.errorLabel], s.totals().contains(where: { $0.lines > 0 }) {
                throw MetricEvaluator.pipelineError(err, labels)
            }
            fold.add(labels, s)
        }
        return fold.rows()
    }
}

/// Per group and step: how many series have a value there, and their sum (compensated, as
/// `RangeFunctions.sum`), minimum or maximum.
struct GroupFold {
    let op: VectorOp
    let rangeOp: RangeOp
    let grouping: Grouping?
    let steps: Int
    let rangeSeconds: Double

    struct Group {
        var present: [Int]
        var sum: [Double]
        var compensation: [Double]
        var extreme: [Double]
    }

    var groups: [Group] = []
    var index: [Labels: Int] = [:]
    var keys: [Labels] = []

    init(op: VectorOp, rangeOp: RangeOp, grouping: Grouping?, steps: Int, rangeSeconds: Double) {
        self.op = op
        self.rangeOp = rangeOp
        self.grouping = grouping
        self.steps = steps
        self.rangeSeconds = rangeSeconds
    }

    /// Adds one series, given as window sums, to its group.
    mutating func add(_ labels: Labels, _ s: WindowSums) {
        let g: Int
        if grouping == nil && !groups.isEmpty {
            g = 0
        } else {
            let key = VectorMath.groupLabels(labels, grouping)
            if let i = index[key] {
                g = i
            } else {
                g = groups.count
                index[key] = g
                keys.append(key)
                groups.append(Group(present: .init(repeating: 0, count: steps), sum: .init(repeating: 0, count: steps),
                                    compensation: .init(repeating: 0, count: steps), extreme: .init(repeating: 0, count: steps)))
            }
        }
        var lines = 0, bytes = 0
        for i in 0..<steps {
            lines &+= s.lines[i]
            if !s.bytes.isEmpty { bytes &+= s.bytes[i] }
            guard let v = WindowCounts.value(rangeOp, lines: lines, bytes: bytes, rangeSeconds: rangeSeconds) else { continue }
            groups[g].present[i] += 1
            switch op {
            case .min: groups[g].extreme[i] = groups[g].present[i] == 1 ? v : Swift.min(groups[g].extreme[i], v)
            case .max: groups[g].extreme[i] = groups[g].present[i] == 1 ? v : Swift.max(groups[g].extreme[i], v)
            default:
                // Neumaier's compensated sum, as `RangeFunctions.sum` adds a window.
                let s = groups[g].sum[i], t = s + v
                groups[g].compensation[i] += abs(s) >= abs(v) ? (s - t) + v : (v - t) + s
                groups[g].sum[i] = t
            }
        }
    }

    func rows() -> [Row] {
        var out: [Row] = []
        for (g, key) in keys.enumerated() {
            let group = groups[g]
            var values = [Double?](repeating: nil, count: steps)
            for i in 0..<steps where group.present[i] > 0 {
                let n = Double(group.present[i])
                switch op {
                case .count: values[i] = n
                case .min, .max: values[i] = group.extreme[i]
                case .avg: values[i] = (group.sum[i] + group.compensation[i]) / n
                default: values[i] = group.sum[i] + group.compensation[i]
                }
            }
            if values.contains(where: { $0 != nil }) { out.append(Row(labels: key, values: values)) }
        }
        return out
    }
}
