import Testing
import KansokuCore
@testable import KansokuPromQL

/// Aggregations of a range function over a selector take the fused path (windows moved
/// forward step by step, counters known never to fall skip the reset walk); the same query
/// written so that it cannot be fused (`+ 0` between function and aggregation) is the
/// oracle. Series have counter resets, gaps, stale markers and irregular scrapes.
@Suite struct FusedAggregationTests {
    static func store(seed: UInt64) -> InMemoryQueryable {
        var rng = SplitMix64(seed: seed)
        let s = InMemoryQueryable()
        for i in 0..<60 {
            let labels = Labels(["__name__": "req_total", "code": ["200", "404", "500"][i % 3], "pod": "p\(i)"])
            var t: Int64 = Int64.random(in: 0..<15_000, using: &rng)
            var v = Double(Int.random(in: 0..<100, using: &rng))
            let resets = i % 4 == 0  // a quarter of the series reset now and then
            while t < 3_600_000 {
                if Int.random(in: 0..<40, using: &rng) == 0 {
                    s.add(labels, t: t, v: PromQLStaleNaN.value)
                } else if resets && Int.random(in: 0..<25, using: &rng) == 0 {
                    v = Double(Int.random(in: 0..<5, using: &rng))
                    s.add(labels, t: t, v: v)
                } else {
                    v += Double(Int.random(in: 0..<20, using: &rng))
                    s.add(labels, t: t, v: v)
                }
                // Mostly every 15 s, sometimes a long gap.
                t += Int.random(in: 0..<30, using: &rng) == 0 ? 400_000 : Int64.random(in: 10_000...20_000, using: &rng)
            }
        }
        return s
    }

    static func flatten(_ v: PromQLValue) -> [String: [PromQLPoint]] {
        guard case .matrix(let series) = v else { return [:] }
        return Dictionary(uniqueKeysWithValues: series.map { ("\($0.labels)", $0.points) })
    }

    static func expectClose(_ got: [String: [PromQLPoint]], _ want: [String: [PromQLPoint]], _ query: String) {
        for (k, w) in want {
            let g = got[k] ?? []
            #expect(g.map(\.t) == w.map(\.t), "\(query) \(k)")
            for (a, b) in zip(g, w) where a.v != b.v {
                #expect(abs(a.v - b.v) <= 1e-12 * max(abs(a.v), abs(b.v)), "\(query) \(k) at \(a.t): \(a.v) vs \(b.v)")
            }
        }
    }

    @Test(arguments: ["rate", "increase", "delta", "max_over_time", "count_over_time"], ["sum", "avg", "max", "count"])
    func fusedEqualsUnfused(function: String, aggregation: String) async throws {
        for seed in [1, 2, 3] as [UInt64] {
            let engine = PromQLEngine(queryable: Self.store(seed: seed))
            let fused = "\(aggregation) by (code) (\(function)(req_total[5m]))"
            let unfused = "\(aggregation) by (code) (\(function)(req_total[5m]) + 0)"
            for (start, step) in [(Int64(300_000), Int64(15_000)), (0, 60_000), (1_000_000, 7_000)] {
                let got = Self.flatten(try await engine.rangeQuery(fused, start: start, end: 3_600_000, step: step))
                let want = Self.flatten(try await engine.rangeQuery(unfused, start: start, end: 3_600_000, step: step))
                #expect(got.keys.sorted() == want.keys.sorted(), "\(fused) seed \(seed)")
                #expect(!want.isEmpty)
                Self.expectClose(got, want, fused)
            }
            // Inside a subquery the fused aggregation runs one step at a time.
            let sub = { (inner: String) in "max_over_time((\(inner))[20m:45s])" }
            let got = Self.flatten(try await engine.rangeQuery(sub(fused), start: 1_500_000, end: 3_600_000, step: 300_000))
            let want = Self.flatten(try await engine.rangeQuery(sub(unfused), start: 1_500_000, end: 3_600_000, step: 300_000))
            #expect(got.keys.sorted() == want.keys.sorted(), "\(sub(fused)) seed \(seed)")
            #expect(!want.isEmpty)
            Self.expectClose(got, want, sub(fused))
        }
    }

    /// Enough series for the fused path to split them into runs on the cores and merge the
    /// runs' groups, including groups that only a later run sees and NaN extremes.
    @Test(arguments: ["sum", "count", "group", "min", "max", "avg"])
    func runsOfSeriesMergeAsOne(aggregation: String) async throws {
        let n = Evaluator.seriesPerPart * 2 + 100
        let s = InMemoryQueryable()
        for i in 0..<n {
            // Group "late" appears only among the last series; "nan" has NaN values.
            let code = i >= n - 50 ? "late" : ["200", "500", "nan"][i % 3]
            let labels = Labels(["__name__": "req_total", "code": code, "pod": "p\(i)"])
            for k in 0..<8 {
                let v = code == "nan" && k % 2 == 0 ? Double.nan : Double(i % 97) * Double(k + 1) + 0.1
                s.add(labels, t: Int64(k) * 30_000, v: v)
            }
        }
        let engine = PromQLEngine(queryable: s)
        let fused = "\(aggregation) by (code) (max_over_time(req_total[1m]))"
        let unfused = "\(aggregation) by (code) (max_over_time(req_total[1m]) + 0)"
        let got = Self.flatten(try await engine.rangeQuery(fused, start: 60_000, end: 210_000, step: 30_000))
        let want = Self.flatten(try await engine.rangeQuery(unfused, start: 60_000, end: 210_000, step: 30_000))
        #expect(got.keys.sorted() == want.keys.sorted())
        #expect(want.count == 4)
        for (k, w) in want {
            let g = got[k] ?? []
            #expect(g.map(\.t) == w.map(\.t), "\(k)")
            for (a, b) in zip(g, w) where !(a.v.isNaN && b.v.isNaN) {
                #expect(abs(a.v - b.v) <= 1e-12 * max(abs(a.v), abs(b.v)), "\(fused) \(k) at \(a.t): \(a.v) vs \(b.v)")
            }
        }
    }
}
