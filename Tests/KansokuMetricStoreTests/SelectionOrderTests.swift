import KansokuCore
import Testing
@testable import KansokuMetricStore

/// Selections come out in label order with every sample once, whether series are ranked,
/// new since the last ranking, or spread over blocks and the head.
@Suite struct SelectionOrderTests {
    /// The oracle: label sets sorted by comparing them, samples as appended.
    private func expected(_ samples: [Labels: [Sample]]) -> [SeriesSamples] {
        samples.keys.sorted(by: labelsLess).map { SeriesSamples(labels: $0, samples: samples[$0]!.sorted { $0.t < $1.t }) }
    }

    /// `selectColumns` in the shape of `select`.
    private func columns(_ store: MetricStore, _ m: [LabelMatcher], _ from: Int64, _ through: Int64) -> [SeriesSamples] {
        store.selectColumns(matchers: m, from: from, through: through).map { s in
            SeriesSamples(labels: s.labels, samples: zip(s.timestamps, s.values).map { Sample(t: $0, v: $1) })
        }
    }

    @Test func headSelectionIsInLabelOrderBeforeAndAfterRanking() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        var rng = SystemRandomNumberGenerator()
        var truth: [Labels: [Sample]] = [:]
        func push(_ names: [Labels], at t: Int64) async throws {
            var batch: [(labels: Labels, t: Int64, v: Double)] = []
            for l in names.shuffled(using: &rng) {
                let v = Double(Int.random(in: 0...1000, using: &rng))
                batch.append((l, t, v))
                truth[l, default: []].append(Sample(t: t, v: v))
            }
            _ = try await store.append(batch)
        }
        func makeSeries(_ n: Int) -> [Labels] {
            (0..<n).map { _ in
                labels(["__name__": "m", "pod": "p\(Int.random(in: 0...99_999, using: &rng))", "zone": ["a", "b", "c"].randomElement(using: &rng)!])
            }
        }
        let first = Array(Set(makeSeries(400)))
        try await push(first, at: base)
        let all = [eq("__name__", "m")]
        // Nothing is ranked yet: the first query sorts by labels and ranks.
        #expect(store.select(matchers: all, from: base, through: base + hour) == expected(truth))
        #expect(store.select(matchers: all, from: base, through: base + hour) == expected(truth))
        // New series (unranked, fewer than a sixteenth) sort among ranked ones by labels.
        let later = Array(Set(makeSeries(20)).subtracting(first))
        try await push(first + later, at: base + 15_000)
        #expect(store.select(matchers: all, from: base, through: base + hour) == expected(truth))
        // More than a sixteenth new: the query ranks again, and the next one uses the ranks.
        let many = Array(Set(makeSeries(200)).subtracting(first).subtracting(later))
        try await push(many, at: base + 30_000)
        #expect(store.select(matchers: all, from: base, through: base + hour) == expected(truth))
        #expect(store.select(matchers: all, from: base, through: base + hour) == expected(truth))
        let zoneA = truth.filter { $0.key["zone"] == "a" }
        #expect(store.select(matchers: [eq("zone", "a")], from: base, through: base + hour) == expected(zoneA))
        #expect(columns(store, all, base, base + hour) == expected(truth))
        // A window that cuts series: only the samples inside it, series without any left out.
        let window = truth.compactMapValues { s -> [Sample]? in
            let inside = s.filter { $0.t >= base + 15_000 && $0.t <= base + 20_000 }
            return inside.isEmpty ? nil : inside
        }
        #expect(columns(store, all, base + 15_000, base + 20_000) == expected(window))
        // Newest only: from the appender when it lies in the range, else decoded.
        for (lo, hi) in [(base, base + hour), (base + 15_000, base + 20_000), (base + 31_000, base + hour)] {
            let newest = truth.compactMapValues { s in s.last { $0.t >= lo && $0.t <= hi }.map { [$0] } }
            let got = store.selectColumns(matchers: all, from: lo, through: hi, newestOnly: true).map { s in
                SeriesSamples(labels: s.labels, samples: zip(s.timestamps, s.values).map { Sample(t: $0, v: $1) })
            }
            #expect(got == expected(newest), "[\(lo), \(hi)]")
        }
        try await store.close()
    }

    @Test func blocksAndHeadMergeByLabels() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        var truth: [Labels: [Sample]] = [:]
        // Old samples of some series go to blocks (two windows), a new one of every series to
        // the head.
        var old: [(Labels, Int64, Double)] = []
        let series = (0..<12).map { labels(["__name__": "m", "i": "\($0)"]) }
        for (k, l) in series.enumerated() where k % 2 == 0 || k == 3 {
            for j in 0..<10 {
                let t = base + Int64(j) * 20 * 60_000  // spans two 2-hour windows
                old.append((l, t, Double(j)))
                truth[l, default: []].append(Sample(t: t, v: Double(j)))
            }
        }
        let imported = try await store.importBlocks(samples: old)
        #expect(imported.blocks == 2)
        let headStart = base + 4 * hour
        var batch: [(labels: Labels, t: Int64, v: Double)] = []
        for (k, l) in series.enumerated().reversed() {
            batch.append((l, headStart, Double(100 + k)))
            truth[l, default: []].append(Sample(t: headStart, v: Double(100 + k)))
        }
        _ = try await store.append(batch)
        let got = store.select(matchers: [eq("__name__", "m")], from: base, through: headStart)
        #expect(got == expected(truth))
        #expect(got.map(\.labels) == series.sorted(by: labelsLess))
        #expect(columns(store, [eq("__name__", "m")], base, headStart) == expected(truth))
        try await store.close()
    }
}
