import Testing
@testable import KansokuCore

/// Many series' samples in shared columns: spans stay right as the columns grow, and writes
/// through `append(most:)` keep exactly what they report.
@Suite struct SampleColumnsTests {
    @Test func spansReadBackWhatWasAppendedAcrossGrowth() {
        let columns = SampleColumns(capacity: 1)
        var spans: [(Range<Int>, [Int64], [Double])] = []
        var rng = SplitMix64(seed: 5)
        for s in 0..<300 {
            let n = Int.random(in: 0..<40, using: &rng)
            let ts = (0..<n).map { Int64(s * 1000 + $0) }
            let vs = (0..<n).map { Double($0) * 0.5 - Double(s) }
            let first = columns.count
            if s % 2 == 0 {
                for (t, v) in zip(ts, vs) { columns.append(t, v) }
            } else {
                // Room for more than is written: only what the writer reports is kept.
                columns.append(most: n + 7) { t, v in
                    for i in 0..<n { (t[i], v[i]) = (ts[i], vs[i]) }
                    return n
                }
            }
            spans.append((first..<columns.count, ts, vs))
        }
        for (span, ts, vs) in spans {
            #expect(Array(columns.times(span)) == ts)
            #expect(Array(columns.values(span)) == vs)
        }
        #expect(columns.count == spans.reduce(0) { $0 + $1.1.count })
    }

    @Test func seriesOfTheirOwnAndNewestOnly() {
        let s = QueryableSeries(labels: Labels(["__name__": "m"]), timestamps: [1, 2, 3], values: [10, 20, 30])
        #expect(s.count == 3)
        #expect(s.timestamps == [1, 2, 3])
        #expect(s.values == [10, 20, 30])
        let newest = s.keepingNewest
        #expect(newest.timestamps == [3])
        #expect(newest.values == [30])
        #expect(QueryableSeries(labels: Labels(), timestamps: [], values: []).keepingNewest.count == 0)
    }
}
