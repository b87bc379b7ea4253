import KansokuCore

/// Extended range selectors (`anchored`, `smoothed`): edges of the window come from the
/// samples around it instead of extrapolation.
extension Evaluator {
    /// `metric smoothed`: the value interpolated linearly at `ref` between its neighbours.
    func selectSmoothed(_ v: VectorSelector, _ ref: Int64) -> [EvalSample] {
        var out: [EvalSample] = []
        for s in data[Evaluator.key(v.matchers)] ?? [] {
            let (ts, vs) = (s.rangeTimes, s.rangeValues)
            let next = searchAbove(ts, ref)
            let prev = next - 1
            guard prev >= 0, ts[prev] > ref.minus(lookback) else { continue }
            var value = vs[prev]
            if ts[prev] != ref, next < ts.count, ts[next] <= ref.plus(lookback) {
                value = interpolate(ts[prev], vs[prev], ts[next], vs[next], at: ref, counter: false)
            }
            out.append(EvalSample(labels: s.labels, v: value, sid: s.sid))
        }
        return out
    }

    func interpolate(_ t1: Int64, _ v1: Double, _ t2: Int64, _ v2: Double, at t: Int64, counter: Bool) -> Double {
        // A counter that dropped restarted from zero somewhere in between.
        let from = counter && v2 < v1 ? 0 : v1
        return from + (v2 - from) * Double(t - t1) / Double(t2 - t1)
    }

    func extendedRange(_ fn: RangeFunction, _ m: MatrixSelector, _ mod: RangeModifier, _ t: Int64) -> [EvalSample] {
        let end = resolveAt(m.selector.at, t).minus(m.selector.offset)
        let start = end.minus(m.range)
        let counter = fn == .rate || fn == .increase
        var out: [EvalSample] = []
        for s in data[Evaluator.key(m.selector.matchers)] ?? [] {
            let (ts, vs) = (s.rangeTimes, s.rangeValues)
            let (lo, hi) = (searchAbove(ts, start), searchAbove(ts, end))
            var points: [(Int64, Double)] = []
            let hasPrev = lo > 0 && ts[lo - 1] > start.minus(lookback)
            switch mod {
            case .anchored:
                guard lo < hi else { continue }
                if hasPrev { points.append((ts[lo - 1], vs[lo - 1])) }
                for i in lo..<hi { points.append((ts[i], vs[i])) }
            case .smoothed:
                // Needs a sample at or before the end and one after the start (within lookback).
                guard hi > 0, ts[hi - 1] > start.minus(lookback), lo < ts.count, ts[lo] <= end.plus(lookback) else { continue }
                let startValue = hasPrev && lo < ts.count
                    ? interpolate(ts[lo - 1], vs[lo - 1], ts[lo], vs[lo], at: start, counter: counter) : vs[lo]
                points.append((start, startValue))
                for i in lo..<hi where ts[i] < end { points.append((ts[i], vs[i])) }
                var endValue = vs[hi - 1]
                if ts[hi - 1] != end, hi < ts.count, ts[hi] <= end.plus(lookback) {
                    endValue = interpolate(ts[hi - 1], vs[hi - 1], ts[hi], vs[hi], at: end, counter: counter)
                }
                points.append((end, endValue))
            }
            let values = points.map(\.1)
            var result: Double
            switch fn {
            case .changes:
                result = 0
                for i in values.indices.dropFirst() where !(values[i] == values[i - 1] || (values[i].isNaN && values[i - 1].isNaN)) {
                    result += 1
                }
            case .resets:
                result = 0
                for i in values.indices.dropFirst() where values[i] < values[i - 1] { result += 1 }
            default:
                result = values.last! - values.first!
                if counter {
                    for i in values.indices.dropFirst() where values[i] < values[i - 1] { result += values[i - 1] }
                }
                if fn == .rate { result /= Double(m.range) / 1000 }
            }
            out.append(EvalSample(labels: s.labels, v: result, dropName: true, sid: s.sid))
        }
        return out
    }
}
