import KansokuCore

/// One loaded series as `fusedRangeAggregate` reads it at every step: its range samples and
/// its group, in plain memory. A step over 100,000 series then retains and releases nothing;
/// through per-series samples, each retain of a series' object and labels was a cache miss,
/// half of such a query's time. Sendable: the buffers are the evaluator's, read-only, and
/// live as long as it does, beyond any run of series handed to another core.
struct FusedSeries: @unchecked Sendable {
    let times: UnsafeBufferPointer<Int64>
    let values: UnsafeBufferPointer<Double>
    let group: Int32
    /// Some value is below the one before it: `rate` and `increase` must look for counter
    /// resets in each window. Counters rarely reset, so most windows skip that walk.
    let falls: Bool
}

extension Evaluator {
    /// `sum`, `avg`, `count`, `group`, `min` or `max` of a selector, or of a range function
    /// applied straight to one, as in `sum by (code) (rate(http_requests_total[5m]))` or
    /// `count({__name__=~".+"})`: each series' value is worked out from its buffers and added
    /// to its group's running value, with no sample made per series. Nil for any other shape,
    /// which evaluates the usual way.
    func fusedRangeAggregate(_ a: AggregateExpr, _ t: Int64, _ key: (Labels) -> Labels) throws(PromQLError) -> [EvalSample]? {
        switch a.op {
        case .sum, .avg, .count, .group, .min, .max: break
        default: return nil
        }
        guard a.param == nil else { return nil }
        let cache = groupCache(a)
        var aggregation = StreamingAggregation(a.op, groups: cache.labels.count)
        switch a.expr.unwrapped {
        case .vectorSelector(let v) where v.modifier == nil:
            let input = fusedInput(a, v, cache, key).input
            let ref = resolveAt(v.at, t).minus(v.offset)
            let oldest = ref.minus(lookback)
            input.withUnsafeBufferPointer { series in
                for s in series {
                    // The newest sample in (ref − lookback, ref], unless it is a stale marker.
                    let i = searchAbove(s.times, ref) - 1
                    guard i >= 0, s.times[i] > oldest, !PromQLStaleNaN.isStale(s.values[i]) else { continue }
                    aggregation.add(s.values[i], group: s.group, dropName: false)
                }
            }
        case .call(let c):
            guard c.args.count == 1, let fn = RangeFunction(rawValue: c.name), fn != .absentOverTime,
                  case .matrixSelector(let m) = c.args[0].unwrapped, m.selector.modifier == nil else { return nil }
            let (spec, input) = fusedInput(a, m.selector, cache, key, range: true)
            if let all = try fusedAllSteps(a, fn, c.args[0], m, spec: spec, input, cache, t) { return all }
            let ref = resolveAt(m.selector.at, t).minus(m.selector.offset)
            let from = ref.minus(m.range)
            let bounds = rangeBounds(c.args[0], t)
            let dropName = !(fn == .lastOverTime || fn == .firstOverTime)
            // One step (an instant query, or a step of a subquery): each window found afresh.
            var steady = SteadyRate()
            for s in input {
                let hi = searchAbove(s.times, ref)
                let lo = searchAbove(s.times, from)
                guard lo < hi, let v = Self.windowValue(fn, s, lo, hi, bounds, t, &steady) else { continue }
                aggregation.add(v, group: s.group, dropName: dropName)
            }
        default:
            return nil
        }
        return aggregation.samples(cache)
    }

    /// `fn` over the samples `lo..<hi` of `s`.
    @inline(__always)
    static func windowValue(_ fn: RangeFunction, _ s: FusedSeries, _ lo: Int, _ hi: Int,
                            _ bounds: (start: Int64, end: Int64, range: Int64), _ t: Int64, _ steady: inout SteadyRate) -> Double? {
        let w = Window(ts: UnsafeBufferPointer(rebasing: s.times[lo..<hi]), vs: UnsafeBufferPointer(rebasing: s.values[lo..<hi]))
        if (fn == .rate || fn == .increase) && !s.falls {
            return steady.value(w, bounds, perSecond: fn == .rate)
        }
        return rangeValue(fn, w, bounds, t, [])
    }

    /// The selector's loaded series with their groups, made once per query: the range samples
    /// (stale markers left out) for a range function, the raw ones for instant selection.
    func fusedInput(_ a: AggregateExpr, _ selector: VectorSelector, _ cache: GroupCache,
                    _ key: (Labels) -> Labels, range: Bool = false) -> (spec: String, input: [FusedSeries]) {
        let spec = Evaluator.key(selector.matchers) + (range ? "\u{1}r" : "\u{1}i") + (a.without ? "w" : "b")
            + a.grouping.joined(separator: "\u{0}")
        if let known = fusedInputs[spec] { return (spec, known) }
        let loaded = data[Evaluator.key(selector.matchers)] ?? []
        let input = loaded.map { s in
            FusedSeries(times: range ? s.rangeTimes : s.rawTimes, values: range ? s.rangeValues : s.rawValues,
                        group: cache.group(sid: s.sid, labels: s.labels, key), falls: s.falls)
        }
        fusedInputs[spec] = input
        return (spec, input)
    }
}
