import Testing
import KansokuCore
@testable import KansokuPromQL

/// `SteadyRate` must give `extrapolatedRate`'s result bit for bit, whether a window's shape
/// repeats the one before (remembered) or not, and whether the counter's projected zero
/// moves the window's start or not.
@Suite struct SteadyRateTests {
    @Test func equalsExtrapolatedRateBitForBit() {
        var rng = SplitMix64(seed: 42)
        var steady = SteadyRate()
        var zeroMoved = 0, checked = 0
        for round in 0..<20_000 {
            let n = Int.random(in: 1...8, using: &rng)
            // Steady shapes most of the time, so the remembered parts are used.
            let regular = round % 4 != 0
            var ts: [Int64] = []
            var t = regular ? 1_000_000 + 7_000 : Int64.random(in: 1_000_000...1_015_000, using: &rng)
            for _ in 0..<n {
                ts.append(t)
                t += regular ? 15_000 : Int64.random(in: 1...40_000, using: &rng)
            }
            // Counters from zero, from small values (the zero lands inside the window) or huge ones.
            var v: Double = [0, 0.5, Double(Int.random(in: 0...50, using: &rng)), 1e12, Double.random(in: 0...1e-300, using: &rng)][round % 5]
            var vs: [Double] = []
            for _ in 0..<n {
                vs.append(v)
                v += [0, 1, Double.random(in: 0...100, using: &rng), 1e-310][Int.random(in: 0...3, using: &rng)]
            }
            let bounds = (start: ts[0] - Int64.random(in: 1...20_000, using: &rng), end: ts[n - 1] + Int64.random(in: 0...20_000, using: &rng),
                          range: Int64(300_000))
            for perSecond in [true, false] {
                ts.withUnsafeBufferPointer { tb in
                    vs.withUnsafeBufferPointer { vb in
                        let w = Window(ts: tb, vs: vb)
                        let want = Evaluator.extrapolatedRate(w, bounds, isCounter: true, isRate: perSecond, resets: false)
                        let got = steady.value(w, bounds, perSecond: perSecond)
                        #expect(got?.bitPattern == want?.bitPattern, "\(ts) \(vs) \(bounds) \(perSecond)")
                        checked += 1
                        let first = vs[0], result = vs[n - 1] - vs[0]
                        if n >= 2, result > 0, first >= 0,
                           Double(ts[n - 1] - ts[0]) / 1000 * (first / result) < Double(ts[0] - bounds.start) / 1000 {
                            zeroMoved += 1
                        }
                    }
                }
            }
        }
        // Both paths were taken many times.
        #expect(checked == 40_000)
        #expect(zeroMoved > 1_000)
    }
}
