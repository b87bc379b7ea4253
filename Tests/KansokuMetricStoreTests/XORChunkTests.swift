import KansokuCore
import Testing
@testable import KansokuMetricStore

@Suite struct XORChunkTests {
    func roundTrip(_ samples: [Sample]) -> [Sample] {
        var a = XORAppender()
        for s in samples { a.append(t: s.t, v: s.v) }
        var out: [Sample] = []
        XORChunk.decode(a.bytes, into: &out)
        return out
    }

    @Test func edgeValuesSurviveBitExactly() {
        let values: [Double] = [0, -0.0, 1, -1, .nan, .infinity, -.infinity, StaleNaN.value, .greatestFiniteMagnitude,
                                .leastNonzeroMagnitude, 3.14159, 3.14159, 1e300, -1e-300, 42, 42, 42.5, StaleNaN.value, 0]
        let samples = values.enumerated().map { Sample(t: 1_700_000_000_000 + Int64($0.offset) * 15_000, v: $0.element) }
        let back = roundTrip(samples)
        #expect(back == samples)
        #expect(back.map(\.v.bitPattern) == samples.map(\.v.bitPattern))
        #expect(StaleNaN.isStale(back[7].v))
        #expect(!StaleNaN.isStale(back[4].v))
    }

    @Test func everyTimestampBucket() {
        // dod 0, 14-bit, 17-bit, 20-bit and 64-bit buckets, both signs and the exact edges.
        let deltas: [Int64] = [15_000, 15_000, 15_000 + 8192, 15_000 - 8191, 15_000 + 8193, 15_000 + 65_536,
                               15_000 - 65_535, 15_000 + 524_288, 15_000 + 524_289, 1, 1 << 40, 15_000, 0, 7]
        var t: Int64 = -5_000
        var samples = [Sample(t: t, v: 1)]
        for (i, d) in deltas.enumerated() {
            t += d
            samples.append(Sample(t: t, v: Double(i)))
        }
        #expect(roundTrip(samples) == samples)
    }

    @Test func hundredTwentySamplesCompressWell() {
        var samples: [Sample] = []
        var v = 1000.0
        for i in 0..<120 {
            v += Double(i % 7)
            samples.append(Sample(t: 1_700_000_000_000 + Int64(i) * 15_000, v: v))
        }
        var a = XORAppender()
        for s in samples { a.append(t: s.t, v: s.v) }
        #expect(a.bytes[0] == 0 && a.bytes[1] == 120)
        #expect(a.bytes.count < 120 * 3)
        #expect(roundTrip(samples) == samples)
    }

    @Test func truncatedChunkStopsWithoutCrashing() {
        var a = XORAppender()
        for i in 0..<50 { a.append(t: Int64(i) * 1000 + Int64(i * i), v: Double(i) * 1.1) }
        let cut = Array(a.bytes.prefix(a.bytes.count / 2))
        cut.withUnsafeBytes { buf in
            var it = XORIterator(buf)
            var n = 0
            while it.next() != nil { n += 1 }
            #expect(n < 50)
            #expect(it.failed)
        }
    }

    @Test func randomRoundTrips() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var t = Int64.random(in: -1_000_000...1_000_000, using: &g)
            var samples: [Sample] = []
            for _ in 0..<Int.random(in: 1...240, using: &g) {
                t += Int64.random(in: 1...3_000_000, using: &g)
                let v: Double = Bool.random(using: &g) ? Double(bitPattern: g.next()) : Double(Int.random(in: 0...10, using: &g))
                samples.append(Sample(t: t, v: v))
            }
            #expect(roundTrip(samples) == samples)
        }
    }

    /// Scrape-shaped series, the ones the 64-bit-window path decodes: steady or jittered
    /// intervals (delta-of-delta 0 or within 14 bits, with an occasional late scrape) and
    /// counters, gauges and constant runs, whose XOR windows are mostly reused.
    @Test func scrapeLikeRoundTrips() {
        var g = SplitMix64(seed: 7)
        for round in 0..<400 {
            var t = 1_700_000_000_000 + Int64(g.next() % 1_000_000)
            var v = Double(g.next() % 1000)
            var samples: [Sample] = []
            for i in 0..<(1 + Int(g.next() % 240)) {
                let jitter = round % 3 == 0 ? 0 : Int64(g.next() % 16_001) - 8000
                t += 15_000 + jitter + (g.next() % 50 == 0 ? 40_000 : 0)
                switch round % 4 {
                case 0: v += Double(g.next() % 20)
                case 1: v = Double(g.next() % 4) * 0.25 + 100
                case 2: if i % 10 == 0 { v = Double(bitPattern: g.next()) }
                default: v += 0.1
                }
                samples.append(Sample(t: t, v: v))
            }
            let back = roundTrip(samples)
            #expect(back.map(\.t) == samples.map(\.t), "round \(round)")
            #expect(back.map(\.v.bitPattern) == samples.map(\.v.bitPattern), "round \(round)")
        }
    }
}
