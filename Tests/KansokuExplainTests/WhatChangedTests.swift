import Foundation
import KansokuCore
@testable import KansokuExplain
import Testing

/// Synthetic windows whose over-represented value is known: it must rank first, whatever the
/// seed, the line layout and the decoys around it.
@Suite struct WhatChangedTests {
    static let t0: Int64 = 1_764_900_000_000_000_000
    static let minute: Int64 = 60_000_000_000

    enum Layout: CaseIterable { case logfmt, json, access }

    /// One line with the given upstream, a per-line id (`trace_id`), a unix time in ms (`ts_ms`),
    /// a user from 40, a latency, a path with a number and a status.
    static func line(_ layout: Layout, upstream: String, trace: String, status: Int, rng: inout SplitMix64, at t: Int64) -> String {
        let user = "user\(rng.next() % 40)"
        let rt = String(format: "%.3f", 0.01 + rng.unit() * 3)
        let path = "/live/seg-\(rng.next() % 100_000).ts"
        let tsMillis = t / 1_000_000
        switch layout {
        case .logfmt:
            return "level=error msg=\"fetch failed\" upstream=\(upstream) trace_id=\(trace) ts_ms=\(tsMillis) user=\(user) rt=\(rt) path=\(path) status=\(status)"
        case .json:
            return #"{"level":"error","upstream":"\#(upstream)","trace_id":"\#(trace)","ts_ms":\#(tsMillis),"user":"\#(user)","rt":\#(rt),"path":"\#(path)","status":\#(status)}"#
        case .access:
            return "10.0.\(rng.next() % 256).\(rng.next() % 256) - \(user) [05/Dec/2026:22:00:00 +0000] \"GET \(path) HTTP/1.1\" \(status) 157 \"-\" \"ExoPlayer\" rt=\(rt) upstream=\(upstream) trace_id=\(trace) ts_ms=\(tsMillis)"
        }
    }

    static func hex(_ rng: inout SplitMix64) -> String { String(format: "%016llx", rng.next()) }

    /// `share` of the window's lines go to origin-3, `baselineShare` of the baseline's; the decoy
    /// `trace_id` is one value on 90% of the window's lines (a retried request), unique elsewhere.
    static func windows(_ layout: Layout, seed: UInt64, share: Double, baselineShare: Double) -> (window: [ExplainLine], baseline: [ExplainLine]) {
        var rng = SplitMix64(seed: seed)
        let hot = hex(&rng)
        let labels = Labels(["app": "edge", "env": "prod"])
        var window: [ExplainLine] = []
        for i in 0..<400 {
            let t = t0 + Int64(i) * 150_000_000
            let upstream = rng.unit() < share ? "origin-3" : "origin-\(rng.next() % 3)"
            let trace = rng.unit() < 0.9 ? hot : hex(&rng)
            window.append(ExplainLine(timestamp: t, labels: labels, line: line(layout, upstream: upstream, trace: trace, status: 503, rng: &rng, at: t)))
        }
        var baseline: [ExplainLine] = []
        for i in 0..<1200 {
            let t = t0 - 60 * minute + Int64(i) * 50_000_000
            let upstream = rng.unit() < baselineShare ? "origin-3" : "origin-\(rng.next() % 3)"
            baseline.append(ExplainLine(timestamp: t, labels: labels, line: line(layout, upstream: upstream, trace: hex(&rng), status: rng.unit() < 0.5 ? 503 : 200, rng: &rng, at: t)))
        }
        return (window, baseline)
    }

    @Test(arguments: Layout.allCases)
    func overRepresentedValueRanksFirstForEverySeed(_ layout: Layout) {
        for seed in UInt64(1)...20 {
            let (w, b) = Self.windows(layout, seed: seed, share: 0.7, baselineShare: 0.05)
            let r = ExplainAnalysis(window: w, baseline: b, start: Self.t0, end: Self.t0 + 60 * Self.minute).run()
            let first = r.changes.first
            #expect(first?.name == "upstream" && first?.value == "origin-3", "seed \(seed), \(layout): \(r.changes.prefix(3))")
            #expect(first?.filter == #"| upstream="origin-3""#)
            // The decoys are recognised and left out, not ranked.
            #expect(!r.changes.contains { $0.name == "trace_id" || $0.name == "ts_ms" }, "seed \(seed), \(layout)")
            #expect(r.skipped.contains { $0.name == "trace_id" }, "seed \(seed), \(layout): \(r.skipped)")
            #expect(r.skipped.contains { $0.name == "ts_ms" }, "seed \(seed), \(layout): \(r.skipped)")
        }
    }

    @Test func shareAndScoreAreExactCounts() {
        let labels = Labels(["app": "api"])
        let window = (0..<10).map { i in ExplainLine(timestamp: Self.t0 + Int64(i), labels: labels, line: "err upstream=\(i < 8 ? "origin-3" : "origin-1")") }
        let baseline = (0..<20).map { i in ExplainLine(timestamp: Self.t0 - 100 + Int64(i), labels: labels, line: "err upstream=\(i < 1 ? "origin-3" : "origin-1")") }
        let r = ExplainAnalysis(window: window, baseline: baseline, start: Self.t0, end: Self.t0 + 100).run()
        let top = try! #require(r.changes.first)
        #expect(top.value == "origin-3")
        #expect(top.windowCount == 8 && top.baselineCount == 1)
        #expect(top.windowShare == 0.8 && top.baselineShare == 0.05)
        #expect(abs(top.score - 0.75) < 1e-12)
        // app=api and the one pattern are on every line of both sides: not over-represented, so not listed.
        #expect(!r.changes.contains { $0.name == "app" || $0.name == "pattern" })
    }

    /// Filters are written for the returned changes only; those cut by `top` need none.
    @Test func filtersOfTheReturnedChanges() {
        let window = (0..<10).map { i in
            ExplainLine(timestamp: Self.t0 + Int64(i), labels: Labels(), line: i < 8 ? "err upstream=origin-3 code=E7" : "err upstream=origin-1 code=E2")
        }
        let baseline = (0..<20).map { i in ExplainLine(timestamp: Self.t0 - 100 + Int64(i), labels: Labels(), line: "err upstream=origin-1 code=E2") }
        var a = ExplainAnalysis(window: window, baseline: baseline, start: Self.t0, end: Self.t0 + 100)
        a.top = 1
        let one = a.run().changes
        #expect(one.map(\.name) == ["code"] && one.map(\.value) == ["E7"])
        #expect(one.map(\.filter) == [#"| code="E7""#])
        a.top = 20
        let all = a.run().changes
        #expect(all.map(\.value) == ["E7", "origin-3"])
        #expect(all.map(\.filter) == [#"| code="E7""#, #"| upstream="origin-3""#])
        #expect(all.map(\.windowCount) == [8, 8] && all.map(\.baselineCount) == [0, 0])
    }

    @Test func numbersAreBucketedAndPathsNormalised() {
        var rng = SplitMix64(seed: 9)
        let window = (0..<200).map { i in
            ExplainLine(timestamp: Self.t0 + Int64(i), labels: Labels(), line: "rt=\(String(format: "%.3f", 2 + rng.unit() * 2.9)) path=/live/seg-\(i).ts")
        }
        let baseline = (0..<200).map { i in
            ExplainLine(timestamp: Self.t0 - 1000 + Int64(i), labels: Labels(), line: "rt=\(String(format: "%.3f", 0.02 + rng.unit() * 0.07)) path=/vod/\(i)/manifest.mpd")
        }
        let r = ExplainAnalysis(window: window, baseline: baseline, start: Self.t0, end: Self.t0 + 1000).run()
        let rt = r.changes.first { $0.name == "rt" }
        #expect(rt?.value == "[2,5)" && rt?.windowShare == 1 && rt?.grouped == true)
        #expect(rt?.filter == "| rt >= 2 and rt < 5")
        #expect(r.changes.contains { $0.name == "path" && $0.value == "/live/seg-<n>.ts" && $0.windowCount == 200 })
    }

    @Test func filtersNarrowBothSides() {
        let window = (0..<20).map { i in ExplainLine(timestamp: Self.t0 + Int64(i), labels: Labels(), line: "upstream=origin-\(i < 15 ? 3 : 1) code=\(i % 2 == 0 ? "E1" : "E2")") }
        let baseline = (0..<20).map { i in ExplainLine(timestamp: Self.t0 - 100 + Int64(i), labels: Labels(), line: "upstream=origin-\(i % 4) code=E1") }
        var a = ExplainAnalysis(window: window, baseline: baseline, start: Self.t0, end: Self.t0 + 100)
        a.filters = [ExplainFilter(name: "upstream", value: "origin-3")]
        let r = a.run()
        #expect(r.windowLines == 15)
        #expect(r.baselineLines == 5)
        #expect(!r.changes.contains { $0.name == "upstream" })
        #expect(r.changes.first?.name == "code" && r.changes.first?.value == "E2", "\(r.changes)")
    }

    @Test func patternIsNewOnlyWithoutBaselineLinesOfIt() {
        let window = (0..<6).map { i in ExplainLine(timestamp: Self.t0 + Int64(i) * Self.minute, labels: Labels(),
                                                     line: i < 4 ? "ERROR origin-3 pool exhausted: active=512 waiting=\(200 + i)" : "WARN slow segment path=/live/seg-\(i).ts") }
        let baseline = [ExplainLine(timestamp: Self.t0 - 1, labels: Labels(), line: "WARN slow segment path=/live/seg-77.ts")]
        let r = ExplainAnalysis(window: window, baseline: baseline, start: Self.t0, end: Self.t0 + 10 * Self.minute).run()
        #expect(r.patterns.map(\.count) == [4, 2])
        #expect(r.patterns.map(\.new) == [true, false])
        #expect(r.patterns[0].pattern == "ERROR <*> pool exhausted: active=<*> waiting=<*>")
        #expect(r.patterns[0].firstSeen == TimeFormatter.rfc3339Nano(Self.t0))
        #expect(r.patterns[0].trend == [1, 0, 1, 0, 1, 0, 1] + [Int](repeating: 0, count: 13))
        // An empty baseline: everything is new.
        let empty = ExplainAnalysis(window: window, baseline: [], start: Self.t0, end: Self.t0 + 10 * Self.minute).run()
        #expect(empty.patterns.allSatisfy { $0.new })
    }
}
