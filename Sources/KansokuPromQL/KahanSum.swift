/// Kahan–Neumaier compensated summation, step by step as Prometheus does it, so sums such
/// as 2 + 8 + 1e100 − 1e100 come out as 10.
@inline(__always)
func kahanSumInc(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
    let t = sum + inc
    var c = c
    if t.isInfinite {
        c = 0
    } else if abs(sum) >= abs(inc) {
        c += (sum - t) + inc
    } else {
        c += (inc - t) + sum
    }
    return (t, c)
}

/// Go's `math.Max`/`math.Min`: NaN wins (Swift's `max`/`min` would drop it).
@inline(__always) func goMax(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    if a == 0 && b == 0 { return a.sign == .minus ? b : a }
    return a > b ? a : b
}

@inline(__always) func goMin(_ a: Double, _ b: Double) -> Double {
    if a.isNaN || b.isNaN { return .nan }
    if a == 0 && b == 0 { return a.sign == .minus ? a : b }
    return a < b ? a : b
}

/// Running mean that sums directly while the sum stays finite and switches to an
/// incremental mean on overflow (Prometheus's `avg` and `avg_over_time`).
struct MeanAccumulator {
    var sum = 0.0
    var c = 0.0
    var mean = 0.0
    var count = 0.0
    var incremental = false

    mutating func add(_ v: Double) {
        count += 1
        if count == 1 {
            sum = v
            mean = v
            return
        }
        if !incremental {
            let (ns, nc) = kahanSumInc(v, sum, c)
            if !ns.isInfinite {
                sum = ns
                c = nc
                return
            }
            incremental = true
            mean = sum / (count - 1)
            c /= count - 1
        }
        if mean.isInfinite {
            if v.isInfinite && (mean > 0) == (v > 0) { return }
            if !v.isInfinite && !v.isNaN { return }
        }
        let q = (count - 1) / count
        (mean, c) = kahanSumInc(v / count, q * mean, q * c)
    }

    var value: Double {
        if incremental { return mean + c }
        return sum / count + c / count
    }
}

/// Quantile of `values` with linear interpolation between neighbours (NaN sorts first).
func quantileOf(_ q: Double, _ values: [Double]) -> Double {
    if values.isEmpty || q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    let sorted = values.sorted { a, b in a.isNaN ? !b.isNaN : (b.isNaN ? false : a < b) }
    let n = Double(sorted.count)
    let rank = q * (n - 1)
    let lower = max(0, rank.rounded(.down))
    let upper = min(n - 1, lower + 1)
    let weight = rank - rank.rounded(.down)
    return sorted[Int(lower)] * (1 - weight) + sorted[Int(upper)] * weight
}
