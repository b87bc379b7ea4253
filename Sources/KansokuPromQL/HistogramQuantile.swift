import KansokuCore

/// One classic histogram bucket: an upper bound (`le`) and its cumulative count.
struct Bucket {
    var upperBound: Double
    var count: Double
}

extension Evaluator {
    /// Groups `_bucket` samples by their labels without `le`.
    func bucketGroups(_ input: [EvalSample], fn: String) -> [(labels: Labels, buckets: [Bucket])] {
        var index: [Labels: Int] = [:]
        var groups: [(labels: Labels, buckets: [Bucket])] = []
        for s in input {
            guard let le = s.labels["le"], let ub = GoFloat.parse(le) else {
                warn("PromQL warning: bucket label \"le\" is missing or has a malformed value of \(goQuoted(s.labels["le"] ?? "")) for metric name \(goQuoted(s.labels["__name__"] ?? ""))")
                continue
            }
            let sig = s.labels.removing(["le"])
            if let i = index[sig] {
                groups[i].buckets.append(Bucket(upperBound: ub, count: s.v))
            } else {
                index[sig] = groups.count
                groups.append((sig, [Bucket(upperBound: ub, count: s.v)]))
            }
        }
        return groups
    }

    func histogramQuantile(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        let q = try scalar(c.args[0], t)
        let input = try vector(c.args[1], t)
        if q.isNaN || q < 0 || q > 1 {
            warn("PromQL warning: quantile value should be between 0 and 1, got \(GoFloat.shortest(q))")
        }
        var out: [EvalSample] = []
        for g in bucketGroups(input, fn: "histogram_quantile") {
            let (v, forced, _) = bucketQuantile(q, g.buckets)
            if forced {
                info("PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \(goQuoted(g.labels["__name__"] ?? ""))")
            }
            out.append(EvalSample(labels: g.labels, v: v, dropName: true))
        }
        return out
    }

    /// `histogram_quantiles(v, "label", q1, q2, …)`: one output series per quantile, told
    /// apart by `label`.
    func histogramQuantiles(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        let input = try vector(c.args[0], t)
        let label = try stringArg(c.args[1], t)
        guard isValidLabelName(label) else { throw PromQLError.execution("invalid label name \(goQuoted(label))") }
        var qs: [Double] = []
        for a in c.args.dropFirst(2) { qs.append(try scalar(a, t)) }
        let groups = bucketGroups(input, fn: "histogram_quantiles")
        var out: [EvalSample] = []
        for q in qs {
            if q.isNaN || q < 0 || q > 1 {
                warn("PromQL warning: quantile value should be between 0 and 1, got \(GoFloat.shortest(q))")
            }
            for g in groups {
                let (v, forced, _) = bucketQuantile(q, g.buckets)
                if forced {
                    info("PromQL info: input to histogram_quantiles needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name \(goQuoted(g.labels["__name__"] ?? ""))")
                }
                out.append(EvalSample(labels: g.labels.setting(label, to: normalizedFloatLabel(q)), v: v, dropName: true))
            }
        }
        return out
    }

    func histogramFraction(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        let lower = try scalar(c.args[0], t), upper = try scalar(c.args[1], t)
        let input = try vector(c.args[2], t)
        return bucketGroups(input, fn: "histogram_fraction").map {
            EvalSample(labels: $0.labels, v: bucketFraction(lower, upper, $0.buckets), dropName: true)
        }
    }
}

/// A float as Prometheus 3 writes `le`/`quantile` label values: `1.0`, `0.25`, `+Inf`.
func normalizedFloatLabel(_ v: Double) -> String {
    let s = GoFloat.shortest(v)
    if s.contains(".") || s.contains("e") || s.contains("Inf") || s.contains("NaN") { return s }
    return s + ".0"
}

/// Prometheus's classic-bucket quantile: sort by bound, require +Inf, merge equal bounds,
/// force monotonic counts, then interpolate linearly inside the bucket holding the rank.
func bucketQuantile(_ q: Double, _ input: [Bucket]) -> (Double, Bool, Bool) {
    if q.isNaN { return (.nan, false, false) }
    if q < 0 { return (-.infinity, false, false) }
    if q > 1 { return (.infinity, false, false) }
    var buckets = input.sorted { $0.upperBound < $1.upperBound }
    guard let last = buckets.last, last.upperBound == .infinity else { return (.nan, false, false) }
    buckets = coalesce(buckets)
    let (forced, fixed) = ensureMonotonic(&buckets, tolerance: 1e-12)
    if buckets.count < 2 { return (.nan, false, false) }
    let observations = buckets[buckets.count - 1].count
    if observations == 0 { return (.nan, forced, fixed) }
    var rank = q * observations
    var b = 0
    while b < buckets.count - 1, !(buckets[b].count >= rank) { b += 1 }
    if b == buckets.count - 1 { return (buckets[buckets.count - 2].upperBound, forced, fixed) }
    if b == 0, buckets[0].upperBound <= 0 { return (buckets[0].upperBound, forced, fixed) }
    var bucketStart = 0.0
    let bucketEnd = buckets[b].upperBound
    var count = buckets[b].count
    if b > 0 {
        bucketStart = buckets[b - 1].upperBound
        count -= buckets[b - 1].count
        rank -= buckets[b - 1].count
    }
    return (bucketStart + (bucketEnd - bucketStart) * (rank / count), forced, fixed)
}

private func coalesce(_ buckets: [Bucket]) -> [Bucket] {
    var out: [Bucket] = []
    for b in buckets {
        if let l = out.last, l.upperBound == b.upperBound {
            out[out.count - 1].count += b.count
        } else {
            out.append(b)
        }
    }
    return out
}

private func ensureMonotonic(_ buckets: inout [Bucket], tolerance: Double) -> (Bool, Bool) {
    var forced = false, fixed = false
    var prev = buckets[0].count
    for i in 1..<buckets.count {
        let curr = buckets[i].count
        if curr == prev { continue }
        if almostEqual(prev, curr, tolerance) {
            buckets[i].count = prev
            fixed = true
            continue
        }
        if curr < prev {
            buckets[i].count = prev
            forced = true
            continue
        }
        prev = curr
    }
    return (forced, fixed)
}

/// Prometheus's `almost.Equal`: relative tolerance, exact near zero, NaN equals NaN.
func almostEqual(_ a: Double, _ b: Double, _ epsilon: Double) -> Bool {
    if a.isNaN && b.isNaN { return true }
    if a == b { return true }
    let absSum = abs(a) + abs(b)
    let diff = abs(a - b)
    if a == 0 || b == 0 || absSum < Double.leastNormalMagnitude {
        return diff < epsilon * Double.leastNormalMagnitude
    }
    return diff / min(absSum, Double.greatestFiniteMagnitude) < epsilon
}

/// Fraction of observations between `lower` and `upper`, interpolating inside buckets.
func bucketFraction(_ lower: Double, _ upper: Double, _ input: [Bucket]) -> Double {
    var buckets = input.sorted { $0.upperBound < $1.upperBound }
    guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
    buckets = coalesce(buckets)
    let count = buckets[buckets.count - 1].count
    if count == 0 || lower.isNaN || upper.isNaN { return .nan }
    if lower >= upper { return 0 }
    var rank = 0.0, lowerRank = 0.0, upperRank = 0.0
    var lowerSet = false, upperSet = false
    for (i, b) in buckets.enumerated() {
        var lowerBound = i > 0 ? buckets[i - 1].upperBound : -Double.infinity
        let upperBound = b.upperBound
        if i == 0, upperBound > 0 { lowerBound = 0 }
        func interpolate(_ v: Double) -> Double {
            // An infinitely wide bucket cannot be interpolated: its observations count as
            // sitting at the infinite end.
            if lowerBound == -.infinity { return b.count }
            if upperBound == .infinity { return rank }
            return rank + (b.count - rank) * (v - lowerBound) / (upperBound - lowerBound)
        }
        if !lowerSet, lowerBound >= lower { lowerRank = rank; lowerSet = true }
        if !upperSet, lowerBound >= upper { upperRank = rank; upperSet = true }
        if lowerSet && upperSet { break }
        if !lowerSet, lowerBound < lower, upperBound > lower { lowerRank = interpolate(lower); lowerSet = true }
        if !upperSet, lowerBound < upper, upperBound > upper { upperRank = interpolate(upper); upperSet = true }
        if lowerSet && upperSet { break }
        rank = b.count
    }
    if !lowerSet || lowerRank > count { lowerRank = count }
    if !upperSet || upperRank > count { upperRank = count }
    return (upperRank - lowerRank) / count
}
