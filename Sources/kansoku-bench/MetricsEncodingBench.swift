import Foundation
import KansokuCore
import KansokuMetricStore
import KansokuPromQL

/// The backfill's two block formats side by side on the same samples: bytes per sample and
/// the time of queries that read every chunk of many series over the whole range.
extension MetricsBench {
    static let encodingQueries: [(name: String, expr: String)] = [
        ("sum_rate_5m", "sum(rate(http_requests_total[5m]))"),
        ("sum_by_code_rate_5m", "sum by (code) (rate(http_requests_total[5m]))"),
        ("max_over_time_all_gauges", "max(max_over_time(app_queue_depth[10m]))"),
        // One series: the frame holding its chunks is decompressed for a few chunks' worth.
        ("one_series_rate_5m", #"rate(http_requests_total{pod="pod-7",code="200",method="GET",path="/healthz"}[5m])"#),
    ]

    /// Times `encodingQueries` as 2-hour range queries at 60 s on both stores (median of
    /// `runs`, alternating so neither gets a warmer cache), and a raw select of every series;
    /// checks that both stores answer the same, value for value.
    static func compareEncodings(xor: MetricStore, framed: MetricStore, start: Int64, end: Int64,
                                 runs: Int = 7) async throws -> [String: Any] {
        var out: [String: Any] = [:]
        var allEqual = true
        let engines = [("xor", PromQLEngine(queryable: xor)), ("framed", PromQLEngine(queryable: framed))]
        for q in encodingQueries {
            var times: [String: [Double]] = [:]
            var results: [String: PromQLValue] = [:]
            for _ in 0..<runs {
                for (name, engine) in engines {
                    let t0 = ContinuousClock.now
                    results[name] = try await engine.rangeQuery(q.expr, start: start + 300_000, end: end, step: 60_000)
                    times[name, default: []].append(seconds(since: t0))
                }
            }
            let same = results["xor"] == results["framed"]
            allEqual = allEqual && same
            let x = PromQLBench.median(times["xor"]!), f = PromQLBench.median(times["framed"]!)
            out["query_\(q.name)_xor_ms"] = rounded(x * 1000)
            out["query_\(q.name)_framed_ms"] = rounded(f * 1000)
            out["query_\(q.name)_framed_vs_xor"] = rounded(f / x)
        }
        let all = try LabelMatcher(name: "__name__", type: .regexMatch, value: ".+")
        var selectTimes: [String: [Double]] = [:]
        var selected: [String: [SeriesSamples]] = [:]
        for _ in 0..<max(3, runs / 2) {
            for (name, store) in [("xor", xor), ("framed", framed)] {
                let t0 = ContinuousClock.now
                selected[name] = store.select(matchers: [all], from: start, through: end)
                selectTimes[name, default: []].append(seconds(since: t0))
            }
        }
        let sameSamples = selected["xor"]!.count == selected["framed"]!.count
            && zip(selected["xor"]!, selected["framed"]!).allSatisfy { a, b in
                a.labels == b.labels && a.samples.count == b.samples.count
                    && zip(a.samples, b.samples).allSatisfy { $0.t == $1.t && $0.v.bitPattern == $1.v.bitPattern }
            }
        let x = PromQLBench.median(selectTimes["xor"]!), f = PromQLBench.median(selectTimes["framed"]!)
        out["select_all_series_xor_ms"] = rounded(x * 1000)
        out["select_all_series_framed_ms"] = rounded(f * 1000)
        out["select_all_series_framed_vs_xor"] = rounded(f / x)
        out["select_all_samples"] = selected["framed"]!.reduce(0) { $0 + $1.samples.count }
        out["query_results_equal"] = allEqual
        out["select_samples_bit_identical"] = sameSamples
        return out
    }
}
