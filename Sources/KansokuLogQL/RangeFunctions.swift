import Foundation

/// Range-vector functions over the samples of one window, as Loki (and Prometheus) define
/// them. `values` are the window's samples in time order.
enum RangeFunctions {
    static func apply(_ op: RangeOp, param: Double?, ts: ArraySlice<Int64>, values: ArraySlice<Double>,
                      rangeNs: Int64, windowEnd: Int64, hasUnwrap: Bool) -> Double? {
        let n = values.count
        guard n > 0 else { return nil }
        let seconds = Double(rangeNs) / 1e9
        switch op {
        case .countOverTime: return Double(n)
        case .rate: return hasUnwrap ? sum(values) / seconds : Double(n) / seconds
        case .bytesOverTime: return sum(values)
        case .bytesRate: return sum(values) / seconds
        case .sumOverTime: return sum(values)
        case .avgOverTime:
            var mean = 0.0, count = 0.0
            for v in values {
                count += 1
                if mean.isInfinite {
                    if v.isInfinite && (mean > 0) == (v > 0) { continue }
                    if !v.isInfinite && !v.isNaN { continue }
                }
                mean += v / count - mean / count
            }
            return mean
        case .minOverTime:
            var m = values.first!
            for v in values where v < m || m.isNaN { m = v }
            return m
        case .maxOverTime:
            var m = values.first!
            for v in values where v > m || m.isNaN { m = v }
            return m
        case .stddevOverTime: return variance(values).squareRoot()
        case .stdvarOverTime: return variance(values)
        case .quantileOverTime: return quantile(param ?? 0, Array(values))
        case .firstOverTime: return values.first!
        case .lastOverTime: return values.last!
        case .rateCounter: return extrapolatedRate(ts: ts, values: values, rangeNs: rangeNs, windowEnd: windowEnd)
        case .absentOverTime: return nil
        }
    }

    static func sum(_ v: ArraySlice<Double>) -> Double {
        // Kahan summation keeps long windows exact enough.
        var s = 0.0, c = 0.0, plain = 0.0
        for x in v { plain += x }
        if !plain.isFinite { return plain }
        for x in v {
            let t = s + x
            if abs(s) >= abs(x) { c += (s - t) + x } else { c += (x - t) + s }
            s = t
        }
        return s + c
    }

    static func variance(_ v: ArraySlice<Double>) -> Double {
        var count = 0.0, mean = 0.0, m2 = 0.0
        for x in v {
            count += 1
            let d = x - mean
            mean += d / count
            m2 += d * (x - mean)
        }
        return m2 / count
    }

    /// Prometheus's quantile with linear interpolation.
    static func quantile(_ q: Double, _ values: [Double]) -> Double {
        if values.isEmpty || q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let s = values.sorted()
        let n = Double(s.count)
        let rank = q * (n - 1)
        let lo = max(0, Int(rank.rounded(.down)))
        let hi = min(s.count - 1, lo + 1)
        let w = rank - rank.rounded(.down)
        return s[lo] * (1 - w) + s[hi] * w
    }

    /// Prometheus's extrapolated counter rate over the window `(windowEnd - range, windowEnd]`.
    static func extrapolatedRate(ts: ArraySlice<Int64>, values: ArraySlice<Double>, rangeNs: Int64, windowEnd: Int64) -> Double? {
        guard values.count >= 2 else { return 0 }
        let vs = Array(values), t = Array(ts)
        var result = vs.last! - vs.first!
        var prev = vs.first!
        for v in vs.dropFirst() {
            if v < prev { result += prev }
            prev = v
        }
        let rangeStart = windowEnd - rangeNs
        var durationToStart = Double(t.first! - rangeStart) / 1e9
        let durationToEnd = Double(windowEnd - t.last!) / 1e9
        let sampled = Double(t.last! - t.first!) / 1e9
        guard sampled > 0 else { return 0 }
        let avg = sampled / Double(vs.count - 1)
        let threshold = avg * 1.1
        if durationToStart >= threshold { durationToStart = avg / 2 }
        if result > 0, vs.first! >= 0 {
            let toZero = sampled * (vs.first! / result)
            if toZero < durationToStart { durationToStart = toZero }
        }
        var interval = sampled + durationToStart
        interval += durationToEnd < threshold ? durationToEnd : avg / 2
        result *= interval / sampled
        return result / (Double(rangeNs) / 1e9)
    }
}
