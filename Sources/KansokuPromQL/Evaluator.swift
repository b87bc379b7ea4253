import CKansokuPrefetch
import KansokuCore

/// An element of an instant vector during evaluation. `dropName` is Prometheus's delayed
/// `__name__` removal: the name stays for matching and grouping and is removed at the end.
struct EvalSample {
    private(set) var labels: Labels
    var v: Double
    var dropName = false
    /// The stored series these labels are exactly those of (-1 once labels are derived):
    /// lets aggregation and range assembly reuse per-series work across steps.
    private(set) var sid: Int32 = -1

    init(labels: Labels, v: Double, dropName: Bool = false, sid: Int32 = -1) {
        self.labels = labels
        self.v = v
        self.dropName = dropName
        self.sid = sid
    }

    mutating func relabel(_ l: Labels) {
        labels = l
        sid = -1
    }

    var finalLabels: Labels { dropName ? labels.removing(metadataLabels) : labels }
}

/// An element of a range vector: a window of samples (slices avoid copying stored data).
struct EvalSeries {
    var labels: Labels
    var ts: ArraySlice<Int64>
    var vs: ArraySlice<Double>
    var dropName = false
    var sid: Int32 = -1
}

enum EvalValue {
    case scalar(Double)
    case vector([EvalSample])
    case matrix([EvalSeries])
    case string(String)
}

/// The labels that go with the metric name: dropping the name drops the type and unit too.
let metadataLabels: Set<String> = ["__name__", "__type__", "__unit__"]

/// Series loaded for one selector: raw samples (with stale markers) for instant selection
/// and the same without stale markers for range windows, read in place from the store's
/// columns.
final class LoadedSeries {
    let labels: Labels
    var sid: Int32 = -1
    /// Keeps the buffers below alive.
    let columns: SampleColumns
    /// The raw samples (stale markers kept).
    let rawTimes: UnsafeBufferPointer<Int64>
    let rawValues: UnsafeBufferPointer<Double>
    /// The samples without stale markers: the raw ones when there is none, else copies of
    /// our own.
    let rangeTimes: UnsafeBufferPointer<Int64>
    let rangeValues: UnsafeBufferPointer<Double>
    /// Some range value is below the one before it (a counter reset, or not a counter).
    let falls: Bool

    deinit {
        if rangeTimes.baseAddress != rawTimes.baseAddress {
            rangeTimes.deallocate()
            rangeValues.deallocate()
        }
    }

    init(labels: Labels, columns: SampleColumns, span: Range<Int>) {
        self.labels = labels
        self.columns = columns
        rawTimes = columns.times(span)
        rawValues = columns.values(span)
        // One pass over the values for both facts: it is the first to touch them, and pays
        // the cache misses.
        var stale = 0
        var falls = false
        var previous = -Double.infinity
        for v in rawValues {
            if PromQLStaleNaN.isStale(v) {
                stale += 1
            } else {
                falls = falls || v < previous
                previous = v
            }
        }
        self.falls = falls
        guard stale > 0 else {
            (rangeTimes, rangeValues) = (rawTimes, rawValues)
            return
        }
        let t = UnsafeMutableBufferPointer<Int64>.allocate(capacity: rawTimes.count - stale)
        let v = UnsafeMutableBufferPointer<Double>.allocate(capacity: rawTimes.count - stale)
        var n = 0
        for i in rawTimes.indices where !PromQLStaleNaN.isStale(rawValues[i]) {
            t[n] = rawTimes[i]
            v[n] = rawValues[i]
            n += 1
        }
        (rangeTimes, rangeValues) = (UnsafeBufferPointer(t), UnsafeBufferPointer(v))
    }
}

/// One query's evaluation: the data its selectors need, then expression evaluation at any
/// instant. Range queries evaluate the expression once per step.
final class Evaluator {
    let start: Int64
    let end: Int64
    let step: Int64
    let lookback: Int64
    let subqueryStep: Int64
    let maxSamples: Int
    /// The query's deadline and cancellation, checked every `checkInterval` evaluations.
    let budget: QueryBudget
    private var ticks = 0
    static let checkInterval = 1024
    /// ±2^61 ms (73 million years): bounds of every storage selection.
    static let farTime: Int64 = 1 << 61
    /// Samples loaded from storage; subqueries and range output count on top of them.
    private(set) var loadedSamples = 0
    /// Points held by subqueries being evaluated right now.
    var subquerySamples = 0
    private(set) var warnings: [String] = []
    private(set) var infos: [String] = []
    private var seenAnnotations = Set<String>()
    var data: [String: [LoadedSeries]] = [:]
    /// How many loaded series have a `sid`.
    var seriesCount = 0
    /// Per grouping (`by`/`without` and labels), the group of each series and group labels.
    var groupCaches: [String: GroupCache] = [:]
    /// Per selector and grouping, what `fusedRangeAggregate` reads at every step.
    var fusedInputs: [String: [FusedSeries]] = [:]
    /// Per fused range-function aggregation, its groups at every step of the range query.
    var fusedSteps: [String: [[EvalSample]]] = [:]

    init(start: Int64, end: Int64, step: Int64, lookback: Int64, subqueryStep: Int64, maxSamples: Int,
         budget: QueryBudget = QueryBudget(timeout: nil)) {
        self.start = start
        self.end = end
        self.step = step
        self.lookback = lookback
        self.subqueryStep = subqueryStep
        self.maxSamples = maxSamples
        self.budget = budget
    }

    /// Counts one evaluation step; every `checkInterval` steps, stops a query that ran out of
    /// time or was cancelled. Cheap enough for every node of every step.
    @inline(__always) func tick() throws(PromQLError) {
        ticks &+= 1
        if ticks & (Evaluator.checkInterval - 1) == 0 { try budget.check() }
    }

    var isRangeQuery: Bool { step > 0 }

    func warn(_ message: String) {
        if seenAnnotations.insert("w" + message).inserted { warnings.append(message) }
    }

    func info(_ message: String) {
        if seenAnnotations.insert("i" + message).inserted { infos.append(message) }
    }

    // MARK: Loading

    static func key(_ matchers: [LabelMatcher]) -> String {
        matchers.map(\.description).sorted().joined(separator: ",")
    }

    func resolveAt(_ at: AtModifier?, _ t: Int64) -> Int64 {
        switch at {
        case nil: return t
        case .timestamp(let x): return x
        case .start: return start
        case .end: return end
        }
    }

    /// Loads, once per distinct selector, every sample any evaluation step can reach.
    func load(_ expr: PromQLExpr, from queryable: any Queryable) throws(PromQLError) {
        // `newest`: every use is a plain selector read at one instant, which needs only each
        // series' newest sample in its lookback window.
        var needs: [String: (matchers: [LabelMatcher], lo: Int64, hi: Int64, newest: Bool)] = [:]
        func need(_ m: [LabelMatcher], _ lo: Int64, _ hi: Int64, newest: Bool = false) {
            let k = Evaluator.key(m)
            if let n = needs[k] {
                needs[k] = (m, min(n.lo, lo), max(n.hi, hi), n.newest && newest && n.hi == hi)
            } else {
                needs[k] = (m, lo, hi, newest)
            }
        }
        func atRange(_ at: AtModifier?, _ lo: Int64, _ hi: Int64) -> (Int64, Int64) {
            if at == nil { return (lo, hi) }
            let x = resolveAt(at, lo)
            return (x, x)
        }
        func visit(_ e: PromQLExpr, _ lo: Int64, _ hi: Int64) {
            switch e {
            case .vectorSelector(let v):
                let (a, b) = atRange(v.at, lo, hi)
                need(v.matchers, a.minus(v.offset).minus(lookback), b.minus(v.offset).plus(v.modifier == .smoothed ? lookback : 0),
                     newest: a == b && v.modifier == nil)
            case .matrixSelector(let m):
                let (a, b) = atRange(m.selector.at, lo, hi)
                let extra = m.selector.modifier == nil ? 0 : lookback
                need(m.selector.matchers, a.minus(m.selector.offset).minus(m.range).minus(extra), b.minus(m.selector.offset).plus(extra))
            case .subquery(let s):
                let (a, b) = atRange(s.at, lo, hi)
                visit(s.expr, a.minus(s.offset).minus(s.range), b.minus(s.offset))
            case .number, .string: break
            case .call(let c) where c.name == "info":
                visit(c.args[0], lo, hi)
                let m = Evaluator.infoMatchers(c)
                let (a, b) = (infoReference(c.args[0], lo), infoReference(c.args[0], hi))
                need(m, min(a, b).minus(lookback), max(a, b))
            case .call(let c): for x in c.args { visit(x, lo, hi) }
            case .aggregate(let a):
                if let p = a.param { visit(p, lo, hi) }
                visit(a.expr, lo, hi)
            case .binary(let b):
                visit(b.lhs, lo, hi)
                visit(b.rhs, lo, hi)
            case .unaryMinus(let x), .paren(let x): visit(x, lo, hi)
            }
        }
        visit(expr, start, end)
        var total = 0
        for (k, n) in needs {
            try budget.check()
            // Saturated bounds (absurd offsets, `@`) are pulled in far enough that stores can
            // add or subtract a little without overflowing; no sample lives out there.
            let (lo, hi) = (max(n.lo, -Evaluator.farTime).plus(1), min(n.hi, Evaluator.farTime))
            let fetched = QueryThread.wait { () -> Result<Handoff<[QueryableSeries]>, PromQLError> in
                do {
                    let found = n.newest ? try await queryable.selectLatest(matchers: n.matchers, from: lo, through: hi)
                        : try await queryable.selectSeries(matchers: n.matchers, from: lo, through: hi)
                    return .success(Handoff(value: found))
                } catch let e as PromQLError {
                    return .failure(e)
                } catch {
                    return .failure(PromQLError.storage("\(error)"))
                }
            }
            var series = try fetched.get().value
            for i in series.indices { total += series[i].count }
            if total > maxSamples { throw PromQLError.tooManySamples }
            // Moved out of the selection, not copied: a copy retains each series' labels,
            // a cache miss per series, and the selection's release is another.
            var loaded: [LoadedSeries] = []
            loaded.reserveCapacity(series.count)
            for i in series.indices {
                if i + 2 < series.count { kprefetch(series[i + 2].columns.values + series[i + 2].span.lowerBound) }
                var labels = Labels()
                swap(&labels, &series[i].labels)
                loaded.append(LoadedSeries(labels: labels, columns: series[i].columns, span: series[i].span))
            }
            assert(zip(loaded, loaded.dropFirst()).allSatisfy { labelsLess($0.labels, $1.labels) }, "series out of label order")
            for s in loaded {
                s.sid = Int32(seriesCount)
                seriesCount += 1
            }
            data[k] = loaded
        }
        loadedSamples = total
    }

    // MARK: Evaluation

    func eval(_ e: PromQLExpr, _ t: Int64) throws(PromQLError) -> EvalValue {
        try tick()
        switch e {
        case .number(let v): return .scalar(v)
        case .string(let s): return .string(s)
        case .paren(let x): return try eval(x, t)
        case .vectorSelector(let v): return .vector(selectInstant(v, t))
        case .matrixSelector(let m): return .matrix(selectRange(m, t))
        case .subquery(let s): return .matrix(try evalSubquery(s, t))
        case .unaryMinus(let x):
            switch try eval(x, t) {
            case .scalar(let v): return .scalar(-v)
            case .vector(var samples):
                for i in samples.indices {
                    samples[i].v = -samples[i].v
                    samples[i].dropName = true
                }
                return .vector(samples)
            default: throw PromQLError.execution("unary minus on unsupported type")
            }
        case .binary(let b): return try evalBinary(b, t)
        case .aggregate(let a): return try evalAggregate(a, t)
        case .call(let c): return try evalCall(c, t)
        }
    }

    func scalar(_ e: PromQLExpr, _ t: Int64) throws(PromQLError) -> Double {
        if case .scalar(let v) = try eval(e, t) { return v }
        throw PromQLError.execution("expected scalar, got \(e.type.rawValue)")
    }

    func vector(_ e: PromQLExpr, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        if case .vector(let v) = try eval(e, t) { return v }
        throw PromQLError.execution("expected instant vector, got \(e.type.rawValue)")
    }

    func matrix(_ e: PromQLExpr, _ t: Int64) throws(PromQLError) -> [EvalSeries] {
        if case .matrix(let m) = try eval(e, t) { return m }
        throw PromQLError.execution("expected range vector, got \(e.type.rawValue)")
    }

    /// The newest sample in `(ref − lookback, ref]` of each series, unless it is a stale marker.
    /// With `timestamps`, the value is the sample's time in seconds (for `timestamp()`).
    func selectInstant(_ v: VectorSelector, _ t: Int64, timestamps: Bool = false) -> [EvalSample] {
        let ref = resolveAt(v.at, t).minus(v.offset)
        if v.modifier == .smoothed, !timestamps { return selectSmoothed(v, ref) }
        var out: [EvalSample] = []
        for s in data[Evaluator.key(v.matchers)] ?? [] {
            let i = searchAbove(s.rawTimes, ref) - 1
            guard i >= 0, s.rawTimes[i] > ref.minus(lookback), !PromQLStaleNaN.isStale(s.rawValues[i]) else { continue }
            out.append(EvalSample(labels: s.labels, v: timestamps ? Double(s.rawTimes[i]) / 1000 : s.rawValues[i], sid: s.sid))
        }
        return out
    }

    /// The samples in `(ref − range, ref]` of each series, stale markers left out.
    func selectRange(_ m: MatrixSelector, _ t: Int64) -> [EvalSeries] {
        let ref = resolveAt(m.selector.at, t).minus(m.selector.offset)
        let from = ref.minus(m.range)
        var out: [EvalSeries] = []
        for s in data[Evaluator.key(m.selector.matchers)] ?? [] {
            let (lo, hi) = (searchAbove(s.rangeTimes, from), searchAbove(s.rangeTimes, ref))
            guard lo < hi else { continue }
            out.append(EvalSeries(labels: s.labels, ts: ArraySlice(s.rangeTimes[lo..<hi]), vs: ArraySlice(s.rangeValues[lo..<hi]), sid: s.sid))
        }
        return out
    }

    struct SeriesKey: Hashable {
        var labels: Labels
        var dropName: Bool
    }

    /// Evaluates the inner expression at every step-aligned instant in `(ref − range, ref]`.
    func evalSubquery(_ s: SubqueryExpr, _ t: Int64) throws(PromQLError) -> [EvalSeries] {
        let ref = resolveAt(s.at, t).minus(s.offset)
        let step = s.step ?? subqueryStep
        let lo = ref.minus(s.range)
        // Refused before anything is allocated: every step yields at least one point per
        // series, so more steps than the sample limit can never fit.
        let steps = (Double(ref) - Double(lo)) / Double(step)
        if steps > Double(maxSamples - loadedSamples - subquerySamples) { throw PromQLError.tooManySamples }
        var tt = step * (lo / step)
        if tt <= lo { tt += step }
        let outerSamples = subquerySamples
        defer { subquerySamples = outerSamples }
        var index: [SeriesKey: Int] = [:]
        var acc: [(key: SeriesKey, ts: [Int64], vs: [Double])] = []
        func add(_ k: SeriesKey, _ time: Int64, _ v: Double) {
            if let i = index[k] {
                acc[i].ts.append(time)
                acc[i].vs.append(v)
            } else {
                index[k] = acc.count
                acc.append((k, [time], [v]))
            }
        }
        while tt <= ref {
            switch try eval(s.expr, tt) {
            case .vector(let samples):
                subquerySamples += samples.count
                if loadedSamples + subquerySamples > maxSamples { throw PromQLError.tooManySamples }
                for x in samples { add(SeriesKey(labels: x.labels, dropName: x.dropName), tt, x.v) }
            case .scalar(let v):
                subquerySamples += 1
                if loadedSamples + subquerySamples > maxSamples { throw PromQLError.tooManySamples }
                add(SeriesKey(labels: Labels(), dropName: false), tt, v)
            default:
                throw PromQLError.execution("subquery is only allowed on instant vector")
            }
            let (next, overflow) = tt.addingReportingOverflow(step)
            if overflow { break }
            tt = next
        }
        return acc.map { EvalSeries(labels: $0.key.labels, ts: $0.ts[...], vs: $0.vs[...], dropName: $0.key.dropName) }
    }

    // MARK: Results

    func finishInstant(_ v: EvalValue, at t: Int64) throws(PromQLError) -> PromQLValue {
        switch v {
        case .scalar(let x): return .scalar(t: t, v: x)
        case .string(let s): return .string(t: t, s: s)
        case .vector(let samples):
            var seen = Set<Labels>()
            var out: [PromQLSample] = []
            out.reserveCapacity(samples.count)
            for s in samples {
                let l = s.finalLabels
                if !seen.insert(l).inserted {
                    throw PromQLError.execution("vector cannot contain metrics with the same labelset")
                }
                out.append(PromQLSample(labels: l, t: t, v: s.v))
            }
            return .vector(out)
        case .matrix(let series):
            var seen = Set<Labels>()
            var out: [PromQLSeries] = []
            for s in series {
                let l = s.dropName ? s.labels.removing(metadataLabels) : s.labels
                if !seen.insert(l).inserted {
                    throw PromQLError.execution("vector cannot contain metrics with the same labelset")
                }
                out.append(PromQLSeries(labels: l, points: zip(s.ts, s.vs).map { PromQLPoint(t: $0, v: $1) }))
            }
            return .matrix(out.sorted { labelsLess($0.labels, $1.labels) })
        }
    }
}

extension Int64 {
    /// Saturating arithmetic for times and durations that come from the query text: an
    /// absurd offset or `@` clamps at the ends of time instead of trapping.
    @inline(__always) func plus(_ d: Int64) -> Int64 {
        let (r, o) = addingReportingOverflow(d)
        return o ? (d > 0 ? .max : .min) : r
    }

    @inline(__always) func minus(_ d: Int64) -> Int64 {
        let (r, o) = subtractingReportingOverflow(d)
        return o ? (d > 0 ? .min : .max) : r
    }
}
