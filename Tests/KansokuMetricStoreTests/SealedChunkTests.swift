import Foundation
import KansokuCore
import Testing
@testable import KansokuMetricStore

@Suite struct DecimalDeltaChunkTests {
    func roundTrip(_ samples: [Sample], from: Int64 = .min, through: Int64 = .max) -> [Sample] {
        let bytes = DecimalDeltaChunk.encode(samples[...])
        var out: [Sample] = []
        let ok = bytes.withUnsafeBytes { DecimalDeltaChunk.decode($0, from: from, through: through, into: &out) }
        #expect(ok)
        return out
    }

    func bits(_ s: [Sample]) -> [UInt64] { s.map(\.v.bitPattern) }

    @Test func edgeValuesSurviveBitExactly() {
        let values: [Double] = [
            0, -0.0, 1, -1, .nan, Double(bitPattern: 0x7FF8_0000_0000_0001), Double(bitPattern: 0xFFF0_0000_DEAD_BEEF),
            .infinity, -.infinity, StaleNaN.value, .greatestFiniteMagnitude, .leastNonzeroMagnitude,
            -.leastNormalMagnitude, 1e300, -1e-300, 0.1 + 0.2, 42, 42, 42.5, StaleNaN.value, 0,
        ]
        let samples = values.enumerated().map { Sample(t: 1_700_000_000_000 + Int64($0.offset) * 15_000, v: $0.element) }
        let back = roundTrip(samples)
        #expect(back.map(\.t) == samples.map(\.t))
        #expect(bits(back) == bits(samples))
        #expect(back[9].v.bitPattern == 0x7FF0_0000_0000_0002)
    }

    @Test func irregularTimestamps() {
        let deltas: [Int64] = [15_000, 15_000, 15_001, 14_999, 1, 1 << 40, 0, 7, 15_000, -3, Int64(Int32.max), 60_000]
        var t: Int64 = -5_000
        var samples = [Sample(t: t, v: 1)]
        for (i, d) in deltas.enumerated() {
            t &+= d
            samples.append(Sample(t: t, v: Double(i) * 0.25))
        }
        #expect(roundTrip(samples) == samples)
        let extremes = [Sample(t: .min, v: 1), Sample(t: 0, v: 2), Sample(t: .max, v: 3)]
        #expect(roundTrip(extremes) == extremes)
    }

    @Test func decimalsAreStoredAsMantissas() {
        // A counter, 2-place temperatures and a 4 KiB-step gauge: each takes the decimal
        // path, so a sample costs about a byte before zstd, where raw bits would take 8.
        var counter: [Sample] = [], temps: [Sample] = [], memory: [Sample] = []
        var c = 1_000_000.0, temp = 40.17, mem = 268_435_456.0
        var rng = SplitMix64(seed: 7)
        for i in 0..<120 {
            let t = 1_700_000_000_000 + Int64(i) * 15_000
            c += Double(rng.next() % 40)
            temp = ((temp + Double(rng.next() % 100) / 100 - 0.5) * 100).rounded() / 100
            mem += Double(Int(rng.next() % 9) - 4) * 4096
            counter.append(Sample(t: t, v: c))
            temps.append(Sample(t: t, v: temp))
            memory.append(Sample(t: t, v: mem))
        }
        for s in [counter, temps, memory] {
            #expect(bits(roundTrip(s)) == bits(s))
            #expect(DecimalDeltaChunk.encode(s[...]).count < 4 * 120)
        }
        // A byte for each timestamp (dod 0) and each increment (below 64).
        #expect(DecimalDeltaChunk.encode(counter[...]).count <= 2 * 120 + 16)
    }

    @Test func randomValuesRoundTrip() {
        var rng = SplitMix64(seed: 42)
        for round in 0..<300 {
            let n = 1 + Int(rng.next() % 240)
            var t = Int64(bitPattern: rng.next()) >> 20
            var samples: [Sample] = []
            for _ in 0..<n {
                t &+= Int64(rng.next() % 100_000)
                let v: Double
                switch round % 4 {
                case 0: v = Double(bitPattern: rng.next())
                case 1: v = Double(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
                case 2: v = Double(Int64(rng.next() % 2_000_000) - 1_000_000) / [1, 10, 100, 1e5, 1e9][Int(rng.next() % 5)]
                default: v = rng.next() % 5 == 0 ? StaleNaN.value : Double(rng.next() % 1000)
                }
                samples.append(Sample(t: t, v: v))
            }
            let back = roundTrip(samples)
            #expect(back.map(\.t) == samples.map(\.t))
            #expect(bits(back) == bits(samples))
        }
    }

    @Test func windowSelectsInclusiveRange() {
        let samples = (0..<120).map { Sample(t: Int64($0) * 1000, v: Double($0)) }
        #expect(roundTrip(samples, from: 10_000, through: 20_000) == Array(samples[10...20]))
        #expect(roundTrip(samples, from: 200_000, through: 300_000).isEmpty)
    }

    @Test func truncatedChunkFails() {
        let samples = (0..<50).map { Sample(t: Int64($0) * 15_000, v: Double($0) + 0.5) }
        let bytes = DecimalDeltaChunk.encode(samples[...])
        var out: [Sample] = []
        let ok = bytes.dropLast(3).withUnsafeBytes { DecimalDeltaChunk.decode($0, into: &out) }
        #expect(!ok)
    }
}

@Suite struct CompressedBlockTests {
    /// 600 series of 480 samples (counters, decimals, raw floats, stale markers), enough
    /// chunks for several frames.
    static func series() -> [(Labels, [Sample])] {
        var rng = SplitMix64(seed: 3)
        var out: [(Labels, [Sample])] = []
        for s in 0..<600 {
            var v = Double(s)
            var samples: [Sample] = []
            for k in 0..<480 {
                let t = 1_700_006_400_000 + Int64(k) * 15_000 + (s % 7 == 0 ? Int64(rng.next() % 50) : 0)
                switch s % 4 {
                case 0: v += Double(rng.next() % 30)
                case 1: v = Double(Int(rng.next() % 10_000)) / 100
                case 2: v += Double(bitPattern: 0x3FF0_0000_0000_0000 | rng.next() >> 12)
                default: v = k % 97 == 96 ? StaleNaN.value : Double(k)
                }
                samples.append(Sample(t: t, v: v))
            }
            out.append((Labels(["__name__": "m", "series": String(s)]), samples))
        }
        return out
    }

    static func write(_ dir: String, format: SealedChunkFormat) throws -> Block {
        try FileIO.makeDirectories(dir)
        let input = series().map { ($0.0, BlockSet.rechunk($0.1)) }
        return try BlockWriter.write(directory: dir, minT: 1_700_006_400_000, maxT: 1_700_013_700_000, series: input,
                                     origin: .import, level: 1, sources: [], format: format)
    }

    static func read(_ b: Block) -> [Labels: [Sample]] {
        var out: [Labels: [Sample]] = [:]
        for id in b.allPostings() {
            guard let e = b.series(id) else { continue }
            var s: [Sample] = []
            b.samples(of: e, from: .min, through: .max, into: &s)
            out[e.labels] = s
        }
        return out
    }

    func expectSame(_ got: [Labels: [Sample]], _ want: [(Labels, [Sample])]) {
        #expect(got.count == want.count)
        for (l, s) in want {
            #expect(got[l]?.map(\.t) == s.map(\.t))
            #expect(got[l]?.map(\.v.bitPattern) == s.map(\.v.bitPattern))
        }
    }

    @Test func bothFormatsReadBack() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let want = Self.series()
        let xor = try Self.write(dir.path + "/xor", format: .prometheusXOR)
        let framed = try Self.write(dir.path + "/framed", format: .compressedFrames)
        // Reopened from disk, as after a restart.
        let xorBlock = try Block(path: xor.path), framedBlock = try Block(path: framed.path)
        expectSame(Self.read(xorBlock), want)
        expectSame(Self.read(framedBlock), want)
        #expect(framedBlock.meta.stats.numSamples == 600 * 480)
        #expect(xorBlock.meta.stats.numSamples == 600 * 480)
        // The XOR block keeps Prometheus's segment layout (version 1, records of encoding 1).
        let seg = try FileIO.readFile(xor.path + "/chunks/000001")
        #expect(Array(seg[0..<8]) == [0x85, 0xBD, 0x40, 0xDD, 1, 0, 0, 0])
        #expect(seg[9] == 1 || seg[10] == 1)
        let framedSeg = try FileIO.readFile(framed.path + "/chunks/000001")
        #expect(framedSeg[4] == 2)
        #expect(framedSeg.count * 2 < seg.count)
        #expect(try ChunkSegment(MappedFile(framed.path + "/chunks/000001")).frames.count > 2)
    }

    @Test func compactionRewritesOldBlocksIntoFrames() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let want = Self.series()
        // Two overlapping XOR blocks, as an older version wrote them: even series in one, odd
        // in the other, and the first ten series split by time between both.
        var a: [(Labels, [ChunkMeta])] = [], b: [(Labels, [ChunkMeta])] = []
        for (i, (l, s)) in want.enumerated() {
            if i < 10 {
                a.append((l, BlockSet.rechunk(Array(s[..<200]))))
                b.append((l, BlockSet.rechunk(Array(s[200...]))))
            } else if i % 2 == 0 {
                a.append((l, BlockSet.rechunk(s)))
            } else {
                b.append((l, BlockSet.rechunk(s)))
            }
        }
        try FileIO.makeDirectories(dir.path)
        for part in [a, b] {
            _ = try BlockWriter.write(directory: dir.path, minT: 1_700_006_400_000, maxT: 1_700_013_700_000, series: part,
                                      origin: .import, level: 1, sources: [], format: .prometheusXOR)
        }
        let store = try MetricStore.open(MetricStoreConfig(directory: dir.path), logger: quietLogger)
        try await store.compact()
        let names = try FileIO.listDirectory(dir.path).filter { $0.count == 26 }
        #expect(names.count == 1)
        if let name = names.first { #expect(try FileIO.readFile(dir.path + "/" + name + "/chunks/000001")[4] == 2) }
        let got = store.select(matchers: [eq("__name__", "m")], from: .min, through: .max)
        try await store.close()
        expectSame(Dictionary(uniqueKeysWithValues: got.map { ($0.labels, $0.samples) }), want)
    }

    @Test func corruptFrameIsReported() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let block = try Self.write(dir.path, format: .compressedFrames)
        let path = block.path + "/chunks/000001"
        let frames = try ChunkSegment(MappedFile(path)).frames
        var bytes = try FileIO.readFile(path)
        bytes[frames[1].offset + frames[1].size / 2] ^= 0x40
        try FileIO.writeFile(path, bytes)

        let damaged = try Block(path: block.path)
        var failures: [String] = []
        var intact = 0
        for id in damaged.allPostings() {
            guard let e = damaged.series(id) else { continue }
            for c in e.chunks {
                do {
                    _ = try damaged.withChunk(c.ref) { $1.count }
                    intact += 1
                } catch let MetricStoreError.corrupted(p, reason) {
                    #expect(p == path)
                    failures.append(reason)
                }
            }
        }
        #expect(!failures.isEmpty)
        #expect(Set(failures) == ["frame 1 fails its CRC"])
        #expect(intact > 0)
        // Merging the damaged block refuses rather than dropping samples.
        let set = try BlockSet.load(dir.path, logger: quietLogger)
        #expect(throws: MetricStoreError.self) { _ = try set.merge(set.snapshot, format: .compressedFrames) }
    }

    @Test func damagedFrameTableIsRefusedAtOpen() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let block = try Self.write(dir.path, format: .compressedFrames)
        let path = block.path + "/chunks/000001"
        var bytes = try FileIO.readFile(path)
        bytes[bytes.count - ChunkSegment.footerSize - 3] ^= 1
        try FileIO.writeFile(path, bytes)
        #expect(throws: MetricStoreError.corrupted(path: path, reason: "frame table fails its CRC")) { _ = try Block(path: block.path) }
    }
}
