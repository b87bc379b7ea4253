import Foundation
import KansokuCore

/// A window of one series: sample times and values.
struct Window {
    let ts: UnsafeBufferPointer<Int64>
    let vs: UnsafeBufferPointer<Double>
}

/// Index of the first time after `x` in sorted `a`.
@inline(__always)
func searchAbove(_ a: UnsafeBufferPointer<Int64>, _ x: Int64) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo &+ hi) >> 1
        if a[mid] <= x { lo = mid &+ 1 } else { hi = mid }
    }
    return lo
}

/// Index of the first time after `x` in sorted `a`, at or after `i` (a previous answer for
/// a smaller `x`).
@inline(__always)
func advance(_ a: UnsafeBufferPointer<Int64>, _ i: Int, past x: Int64) -> Int {
    var i = i
    while i < a.count && a[i] <= x { i &+= 1 }
    return i
}

/// Range-vector functions, resolved once per call rather than per series.
enum RangeFunction: String {
    case rate = "rate"
    case increase = "increase"
    case delta = "delta"
    case irate = "irate"
    case idelta = "idelta"
    case deriv = "deriv"
    case predictLinear = "predict_linear"
    case resets = "resets"
    case changes = "changes"
    case avgOverTime = "avg_over_time"
    case sumOverTime = "sum_over_time"
    case countOverTime = "count_over_time"
    case minOverTime = "min_over_time"
    case maxOverTime = "max_over_time"
    case stddevOverTime = "stddev_over_time"
    case stdvarOverTime = "stdvar_over_time"
    case lastOverTime = "last_over_time"
    case firstOverTime = "first_over_time"
    case presentOverTime = "present_over_time"
    case quantileOverTime = "quantile_over_time"
    case madOverTime = "mad_over_time"
    case tsOfLastOverTime = "ts_of_last_over_time"
    case tsOfFirstOverTime = "ts_of_first_over_time"
    case tsOfMinOverTime = "ts_of_min_over_time"
    case tsOfMaxOverTime = "ts_of_max_over_time"
    case doubleExponentialSmoothing = "double_exponential_smoothing"
    case absentOverTime = "absent_over_time"
}

/// Range-vector functions: rates with Prometheus's extrapolation and the `*_over_time` family.
extension Evaluator {
    /// The matrix argument's window bounds at time `t` (for extrapolation).
    func rangeBounds(_ arg: PromQLExpr, _ t: Int64) -> (start: Int64, end: Int64, range: Int64) {
        switch arg.unwrapped {
        case .matrixSelector(let m):
            let ref = resolveAt(m.selector.at, t).minus(m.selector.offset)
            return (ref.minus(m.range), ref, m.range)
        case .subquery(let s):
            let ref = resolveAt(s.at, t).minus(s.offset)
            return (ref.minus(s.range), ref, s.range)
        default:
            return (t, t, 0)
        }
    }

    func evalRangeFunction(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        let name = c.name
        guard let fn = RangeFunction(rawValue: name) else { throw PromQLError.execution("unknown function \(name)") }
        var scalarArgs: [Double] = []
        var matrixArg = c.args[0]
        switch fn {
        case .quantileOverTime:
            scalarArgs = [try scalar(c.args[0], t)]
            matrixArg = c.args[1]
        case .predictLinear:
            scalarArgs = [try scalar(c.args[1], t)]
        case .doubleExponentialSmoothing:
            scalarArgs = [try scalar(c.args[1], t), try scalar(c.args[2], t)]
        default: break
        }
        var series: [EvalSeries] = []
        if case .matrixSelector = matrixArg.unwrapped {
            if fn == .absentOverTime { series = try matrix(matrixArg, t) }
        } else {
            series = try matrix(matrixArg, t)
        }
        if name == "absent_over_time" {
            if !series.isEmpty { return [] }
            return [EvalSample(labels: absentLabels(matrixArg), v: 1)]
        }
        if name == "quantile_over_time", let q = scalarArgs.first, q.isNaN || q < 0 || q > 1 {
            warn("PromQL warning: quantile value should be between 0 and 1, got \(GoFloat.shortest(q))")
        }
        if name == "double_exponential_smoothing" {
            let (sf, tf) = (scalarArgs[0], scalarArgs[1])
            if !(sf > 0 && sf < 1) {
                throw PromQLError.execution("invalid smoothing factor. Expected: 0 < sf < 1, got: \(GoFloat.shortest(sf))")
            }
            if !(tf > 0 && tf < 1) {
                throw PromQLError.execution("invalid trend factor. Expected: 0 < tf < 1, got: \(GoFloat.shortest(tf))")
            }
        }
        let bounds = rangeBounds(matrixArg, t)
        let keepName = fn == .lastOverTime || fn == .firstOverTime
        var out: [EvalSample] = []
        if case .matrixSelector(let m) = matrixArg.unwrapped, let mod = m.selector.modifier {
            return extendedRange(fn, m, mod, t)
        }
        if case .matrixSelector(let m) = matrixArg.unwrapped {
            // Straight from the loaded arrays: no per-series window objects.
            let ref = resolveAt(m.selector.at, t).minus(m.selector.offset)
            let loaded = data[Evaluator.key(m.selector.matchers)] ?? []
            out.reserveCapacity(loaded.count)
            for s in loaded {
                let tb = s.rangeTimes, vb = s.rangeValues
                let hi = searchAbove(tb, ref)
                let lo = searchAbove(tb, ref.minus(m.range))
                guard lo < hi else { continue }
                let w = Window(ts: UnsafeBufferPointer(rebasing: tb[lo..<hi]), vs: UnsafeBufferPointer(rebasing: vb[lo..<hi]))
                if let v = Self.rangeValue(fn, w, bounds, t, scalarArgs) {
                    out.append(EvalSample(labels: s.labels, v: v, dropName: !keepName, sid: s.sid))
                }
            }
            return out
        }
        out.reserveCapacity(series.count)
        for s in series {
            let v: Double? = s.ts.withUnsafeBufferPointer { tb in
                s.vs.withUnsafeBufferPointer { vb in Self.rangeValue(fn, Window(ts: tb, vs: vb), bounds, t, scalarArgs) }
            }
            guard let v else { continue }
            out.append(EvalSample(labels: s.labels, v: v, dropName: keepName ? s.dropName : true, sid: s.sid))
        }
        return out
    }

    static func rangeValue(_ fn: RangeFunction, _ w: Window, _ b: (start: Int64, end: Int64, range: Int64), _ t: Int64,
                    _ args: [Double]) -> Double? {
        let vs = w.vs, ts = w.ts
        guard let first = vs.first, let last = vs.last else { return nil }
        switch fn {
        case .rate: return extrapolatedRate(w, b, isCounter: true, isRate: true)
        case .increase: return extrapolatedRate(w, b, isCounter: true, isRate: false)
        case .delta: return extrapolatedRate(w, b, isCounter: false, isRate: false)
        case .irate, .idelta:
            guard vs.count >= 2 else { return nil }
            let l = vs[vs.endIndex - 1], p = vs[vs.endIndex - 2]
            let dt = ts[ts.endIndex - 1] - ts[ts.endIndex - 2]
            guard dt != 0 else { return nil }
            if fn == .idelta { return l - p }
            let r = l < p ? l : l - p
            return r / (Double(dt) / 1000)
        case .deriv:
            guard vs.count >= 2 else { return nil }
            return linearRegression(ts, vs, interceptTime: ts.first!).slope
        case .predictLinear:
            guard vs.count >= 2 else { return nil }
            let (slope, intercept) = linearRegression(ts, vs, interceptTime: t)
            return slope * args[0] + intercept
        case .resets:
            var n = 0.0, prev = first
            for v in vs.dropFirst() {
                if v < prev { n += 1 }
                prev = v
            }
            return n
        case .changes:
            var n = 0.0, prev = first
            for v in vs.dropFirst() {
                if !(v == prev || (v.isNaN && prev.isNaN)) { n += 1 }
                prev = v
            }
            return n
        case .avgOverTime:
            var m = MeanAccumulator()
            for v in vs { m.add(v) }
            return m.value
        case .sumOverTime:
            var sum = 0.0, c = 0.0
            for v in vs { (sum, c) = kahanSumInc(v, sum, c) }
            return sum + c
        case .countOverTime: return Double(vs.count)
        case .minOverTime:
            var x = first
            for v in vs.dropFirst() where v < x || x.isNaN { x = v }
            return x
        case .maxOverTime:
            var x = first
            for v in vs.dropFirst() where v > x || x.isNaN { x = v }
            return x
        case .stddevOverTime, .stdvarOverTime:
            var count = 0.0, mean = 0.0, cMean = 0.0, aux = 0.0, cAux = 0.0
            for v in vs {
                count += 1
                let delta = v - (mean + cMean)
                (mean, cMean) = kahanSumInc(delta / count, mean, cMean)
                (aux, cAux) = kahanSumInc(delta * (v - (mean + cMean)), aux, cAux)
            }
            let variance = (aux + cAux) / count
            return fn == .stdvarOverTime ? variance : variance.squareRoot()
        case .lastOverTime: return last
        case .firstOverTime: return first
        case .presentOverTime: return 1
        case .quantileOverTime: return quantileOf(args[0], Array(vs))
        case .madOverTime:
            let values = Array(vs)
            if values.contains(where: \.isNaN) { return .nan }
            let median = quantileOf(0.5, values)
            return quantileOf(0.5, values.map { abs($0 - median) })
        case .tsOfLastOverTime: return Double(ts.last!) / 1000
        case .tsOfFirstOverTime: return Double(ts.first!) / 1000
        case .tsOfMinOverTime, .tsOfMaxOverTime:
            let isMax = fn == .tsOfMaxOverTime
            var best = first, at = ts.first!
            for (time, v) in zip(ts, vs).dropFirst() {
                if best.isNaN || (isMax ? v >= best : v <= best) {
                    best = v
                    at = time
                }
            }
            return Double(at) / 1000
        case .doubleExponentialSmoothing:
            guard vs.count >= 2 else { return nil }
            let sf = args[0], tf = args[1]
            let values = Array(vs)
            var s0 = 0.0, s1 = values[0]
            var trend = values[1] - values[0]
            for i in 1..<values.count {
                if i > 1 {
                    trend = tf * (s1 - s0) + (1 - tf) * trend
                }
                s0 = s1
                s1 = sf * values[i] + (1 - sf) * (s0 + trend)
            }
            return s1
        case .absentOverTime:
            return nil
        }
    }

    /// Prometheus's `extrapolatedRate`: last − first (+ the value before each counter reset),
    /// extrapolated towards the window edges when samples are close enough to them.
    /// `resets: false` says the caller knows no value in `w` falls below the one before it.
    static func extrapolatedRate(_ w: Window, _ b: (start: Int64, end: Int64, range: Int64), isCounter: Bool, isRate: Bool,
                          resets: Bool = true) -> Double? {
        let vs = w.vs, ts = w.ts
        guard vs.count >= 2 else { return nil }
        let firstT = ts.first!, lastT = ts.last!
        let firstV = vs.first!
        var result = vs.last! - firstV
        if isCounter && resets {
            var prev = firstV
            for v in vs.dropFirst() {
                if v < prev { result += prev }
                prev = v
            }
        }
        var (sampledInterval, durationToStart, durationToEnd) = extrapolationSpans(firstT: firstT, lastT: lastT, samples: vs.count, b)
        if isCounter {
            var durationToZero = durationToStart
            if result > 0, firstV >= 0 { durationToZero = sampledInterval * (firstV / result) }
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        var factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval
        if isRate { factor /= Double(b.range) / 1000 }
        return result * factor
    }

    /// The seconds a window's samples cover, and how far to extrapolate past its first and
    /// last sample towards its bounds: the distance when it is under 1.1 average sample
    /// intervals, else half an interval (Prometheus's `extrapolatedRate`, before the counter's
    /// zero is considered).
    static func extrapolationSpans(firstT: Int64, lastT: Int64, samples: Int, _ b: (start: Int64, end: Int64, range: Int64))
        -> (sampledInterval: Double, toStart: Double, toEnd: Double) {
        var durationToStart = Double(firstT - b.start) / 1000
        var durationToEnd = Double(b.end - lastT) / 1000
        let sampledInterval = Double(lastT - firstT) / 1000
        let averageDurationBetweenSamples = sampledInterval / Double(samples - 1)
        let threshold = averageDurationBetweenSamples * 1.1
        if durationToStart >= threshold { durationToStart = averageDurationBetweenSamples / 2 }
        if durationToEnd >= threshold { durationToEnd = averageDurationBetweenSamples / 2 }
        return (sampledInterval, durationToStart, durationToEnd)
    }

    static func linearRegression(_ ts: UnsafeBufferPointer<Int64>, _ vs: UnsafeBufferPointer<Double>, interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = 0.0, cX = 0.0, sumY = 0.0, cY = 0.0, sumXY = 0.0, cXY = 0.0, sumX2 = 0.0, cX2 = 0.0
        let initY = vs.first!
        var constY = true
        for (i, (time, v)) in zip(ts, vs).enumerated() {
            if constY, i > 0, v != initY { constY = false }
            n += 1
            let x = Double(time - interceptTime) / 1e3
            (sumX, cX) = kahanSumInc(x, sumX, cX)
            (sumY, cY) = kahanSumInc(v, sumY, cY)
            (sumXY, cXY) = kahanSumInc(x * v, sumXY, cXY)
            (sumX2, cX2) = kahanSumInc(x * x, sumX2, cX2)
        }
        if constY {
            if initY.isInfinite { return (.nan, .nan) }
            return (0, initY)
        }
        sumX += cX
        sumY += cY
        sumXY += cXY
        sumX2 += cX2
        let covXY = sumXY - sumX * sumY / n
        let varX = sumX2 - sumX * sumX / n
        let slope = covXY / varX
        return (slope, sumY / n - slope * sumX / n)
    }

    /// Labels of `absent()`/`absent_over_time()` output: the selector's equality matchers.
    func absentLabels(_ arg: PromQLExpr) -> Labels {
        let matchers: [LabelMatcher]
        switch arg.unwrapped {
        case .vectorSelector(let v): matchers = v.matchers
        case .matrixSelector(let m): matchers = m.selector.matchers
        default: return Labels()
        }
        var out: [String: String] = [:]
        var has = Set<String>()
        for m in matchers where m.name != "__name__" {
            if m.type == .equal, !has.contains(m.name) {
                out[m.name] = m.value
                has.insert(m.name)
            } else {
                out[m.name] = nil
            }
        }
        return Labels(out.filter { !$0.value.isEmpty })
    }
}
