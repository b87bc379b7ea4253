import KansokuCore

/// One loaded series as `fusedRangeAggregate` reads it at every step: its range samples and
/// its group, in plain memory. A step over 100,000 series then retains and releases nothing;
/// through per-series samples, each retain of a series' object and labels was a cache miss,
/// half of such a query's time.
struct FusedSeries {
    let times: UnsafeBufferPointer<Int64>
    let values: UnsafeBufferPointer<Double>
    let group: Int32
}

extension Evaluator {
    /// `sum`, `avg`, `count`, `group`, `min` or `max` of a selector, or of a range function
    /// applied straight to one, as in `sum by (code) (rate(http_requests_total[5m]))` or
    /// `count({__name__=~".+"})`: each series' value is worked out from its buffers and added
    /// to its group's running value, with no sample made per series. Nil for any other shape,
    /// which evaluates the usual way.
    func fusedRangeAggregate(_ a: AggregateExpr, _ t: Int64, _ key: (Labels) -> Labels) -> [EvalSample]? {
        switch a.op {
        case .sum, .avg, .count, .group, .min, .max: break
        default: return nil
        }
        guard a.param == nil else { return nil }
        let cache = groupCache(a)
        var aggregation = StreamingAggregation(a.op)
        switch a.expr.unwrapped {
        case .vectorSelector(let v) where v.modifier == nil:
            let input = fusedInput(a, v, cache, key)
            let ref = resolveAt(v.at, t).minus(v.offset)
            let oldest = ref.minus(lookback)
            input.withUnsafeBufferPointer { series in
                for s in series {
                    // The newest sample in (ref − lookback, ref], unless it is a stale marker.
                    let i = searchAbove(s.times, ref) - 1
                    guard i >= 0, s.times[i] > oldest, !PromQLStaleNaN.isStale(s.values[i]) else { continue }
                    aggregation.add(s.values[i], group: s.group, dropName: false, cache)
                }
            }
        case .call(let c):
            guard c.args.count == 1, let fn = RangeFunction(rawValue: c.name), fn != .absentOverTime,
                  case .matrixSelector(let m) = c.args[0].unwrapped, m.selector.modifier == nil else { return nil }
            let input = fusedInput(a, m.selector, cache, key, range: true)
            let ref = resolveAt(m.selector.at, t).minus(m.selector.offset)
            let from = ref.minus(m.range)
            let bounds = rangeBounds(c.args[0], t)
            let dropName = !(fn == .lastOverTime || fn == .firstOverTime)
            input.withUnsafeBufferPointer { series in
                for s in series {
                    let hi = searchAbove(s.times, ref)
                    let lo = searchAbove(s.times, from)
                    guard lo < hi else { continue }
                    let w = Window(ts: UnsafeBufferPointer(rebasing: s.times[lo..<hi]), vs: UnsafeBufferPointer(rebasing: s.values[lo..<hi]))
                    guard let v = rangeValue(fn, w, bounds, t, []) else { continue }
                    aggregation.add(v, group: s.group, dropName: dropName, cache)
                }
            }
        default:
            return nil
        }
        return aggregation.samples()
    }

    /// The selector's loaded series with their groups, made once per query: the range samples
    /// (stale markers left out) for a range function, the raw ones for instant selection.
    private func fusedInput(_ a: AggregateExpr, _ selector: VectorSelector, _ cache: GroupCache,
                            _ key: (Labels) -> Labels, range: Bool = false) -> [FusedSeries] {
        let spec = Evaluator.key(selector.matchers) + (range ? "\u{1}r" : "\u{1}i") + (a.without ? "w" : "b")
            + a.grouping.joined(separator: "\u{0}")
        if let known = fusedInputs[spec] { return known }
        let loaded = data[Evaluator.key(selector.matchers)] ?? []
        let input = loaded.map { s in
            FusedSeries(times: UnsafeBufferPointer(range ? s.rangeTimes : s.rawTimes),
                        values: UnsafeBufferPointer(range ? s.rangeValues : s.rawValues),
                        group: cache.group(sid: s.sid, labels: s.labels, key))
        }
        fusedInputs[spec] = input
        return input
    }
}
