/// Prometheus's `extrapolatedRate` for counter windows known to hold no reset, remembering
/// what depends only on the window's shape: where its first and last samples lie against its
/// bounds, and how many samples it holds. At a steady scrape interval consecutive windows
/// (the steps of a range query, the series of one scrape) have the same shape, so most cost
/// a subtraction and a multiplication instead of six dependent divisions. Every value
/// computed is computed by the same operations in the same order as `extrapolatedRate`, so
/// the result is bit for bit the same.
struct SteadyRate {
    private struct Shape: Equatable {
        var toStart: Int64, toEnd: Int64, sampled: Int64, samples: Int, range: Int64
    }

    private var shape = Shape(toStart: -1, toEnd: 0, sampled: 0, samples: 0, range: 0)
    private var sampledInterval = 0.0
    private var durationToStart = 0.0
    private var durationToEnd = 0.0
    private var rangeSeconds = 0.0
    /// The factors when the counter's projected zero does not move the window's start.
    private var increaseFactor = 0.0
    private var rateFactor = 0.0
    /// `durationToStart / sampledInterval`, padded by 1e-9: a first value at least the
    /// increase times this puts the counter's zero before the window's start, without the
    /// division that finds where.
    private var zeroBeforeStart = 0.0

    /// `increase` (or `rate`, with `perSecond`) of `w`, whose values never fall.
    mutating func value(_ w: Window, _ b: (start: Int64, end: Int64, range: Int64), perSecond: Bool) -> Double? {
        let n = w.vs.count
        guard n >= 2 else { return nil }
        let firstT = w.ts[0], lastT = w.ts[n - 1]
        let firstV = w.vs[0]
        let result = w.vs[n - 1] - firstV
        let now = Shape(toStart: firstT - b.start, toEnd: b.end - lastT, sampled: lastT - firstT, samples: n, range: b.range)
        if now != shape { learn(now) }
        if result > 0, firstV >= 0, !(firstV > 0 && firstV >= result * zeroBeforeStart) {
            let durationToZero = sampledInterval * (firstV / result)
            if durationToZero < durationToStart {
                var factor = (sampledInterval + durationToZero + durationToEnd) / sampledInterval
                if perSecond { factor /= rangeSeconds }
                return result * factor
            }
        }
        return result * (perSecond ? rateFactor : increaseFactor)
    }

    private mutating func learn(_ s: Shape) {
        shape = s
        // The bounds as offsets from the window's samples give the same spans.
        (sampledInterval, durationToStart, durationToEnd) = Evaluator.extrapolationSpans(
            firstT: 0, lastT: s.sampled, samples: s.samples, (start: -s.toStart, end: s.sampled + s.toEnd, range: s.range))
        rangeSeconds = Double(s.range) / 1000
        increaseFactor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval
        rateFactor = increaseFactor
        rateFactor /= rangeSeconds
        zeroBeforeStart = durationToStart / sampledInterval * (1 + 1e-9)
    }
}
