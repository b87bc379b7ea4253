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
    /// `sum`, `avg`, `count`, `group`, `min` or `max` of a range function applied straight to a
    /// selector, as in `sum by (code) (rate(http_requests_total[5m]))`: each series' window is
    /// reduced and added to its group's running value, with no sample made per series. Nil for
    /// any other shape, which evaluates the usual way.
    func fusedRangeAggregate(_ a: AggregateExpr, _ t: Int64, _ key: (Labels) -> Labels) -> [EvalSample]? {
        switch a.op {
        case .sum, .avg, .count, .group, .min, .max: break
        default: return nil
        }
        guard a.param == nil, case .call(let c) = a.expr.unwrapped, c.args.count == 1,
              let fn = RangeFunction(rawValue: c.name), fn != .absentOverTime,
              case .matrixSelector(let m) = c.args[0].unwrapped, m.selector.modifier == nil else { return nil }
        let cache = groupCache(a)
        let input = fusedInput(a, m, cache, key)
        let ref = resolveAt(m.selector.at, t).minus(m.selector.offset)
        let from = ref.minus(m.range)
        let bounds = rangeBounds(c.args[0], t)
        let dropName = !(fn == .lastOverTime || fn == .firstOverTime)
        var aggregation = StreamingAggregation(a.op)
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
        return aggregation.samples()
    }

    /// The selector's loaded series with their groups, made once per query.
    private func fusedInput(_ a: AggregateExpr, _ m: MatrixSelector, _ cache: GroupCache,
                            _ key: (Labels) -> Labels) -> [FusedSeries] {
        let spec = Evaluator.key(m.selector.matchers) + "\u{1}" + (a.without ? "w" : "b") + a.grouping.joined(separator: "\u{0}")
        if let known = fusedInputs[spec] { return known }
        let loaded = data[Evaluator.key(m.selector.matchers)] ?? []
        let input = loaded.map { s in
            FusedSeries(times: UnsafeBufferPointer(s.rangeTimes), values: UnsafeBufferPointer(s.rangeValues),
                        group: cache.group(sid: s.sid, labels: s.labels, key))
        }
        fusedInputs[spec] = input
        return input
    }
}
