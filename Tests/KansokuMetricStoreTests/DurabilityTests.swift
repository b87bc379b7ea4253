import KansokuCore
import Testing
@testable import KansokuMetricStore

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DurabilityTests {
    func series(_ i: Int) -> Labels { labels(["__name__": "m", "i": String(i)]) }

    func batch(_ n: Int, at t: Int64) -> [(labels: Labels, t: Int64, v: Double)] {
        (0..<n).map { (series($0), t, Double($0) + Double(t % 1000)) }
    }

    func count(_ store: MetricStore, from: Int64 = .min, through: Int64 = .max) -> Int {
        store.select(matchers: [eq("__name__", "m")], from: from, through: through).reduce(0) { $0 + $1.samples.count }
    }

    @Test func crashWithoutCloseLosesNoAcknowledgedSample() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        for k in 0..<50 { _ = try await store.append(batch(40, at: base + Int64(k) * 15_000)) }
        // No close: the next open sees only what the acknowledged appends made durable.
        let again = try openStore(dir)
        #expect(count(again) == 50 * 40)
        #expect(again.stats().headSeries == 40)
        // Appends continue in order after replay; the replayed newest sample still guards order.
        let r = try await again.append([(series(0), base + 49 * 15_000, 1), (series(0), base + 50 * 15_000, 1)])
        #expect(r.duplicate == 1 && r.appended == 1)
        try await again.close()
        let third = try openStore(dir)
        #expect(count(third) == 50 * 40 + 1)
        try await third.close()
    }

    @Test func tornTailIsCutAndEarlierRecordsSurvive() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        for k in 0..<10 { _ = try await store.append(batch(5, at: base + Int64(k) * 1000)) }
        try await store.close()
        let walDir = dir.path + "/wal"
        let last = try FileIO.listDirectory(walDir).filter { $0.count == 8 }.last!
        let path = walDir + "/" + last
        let size = Int((try? FileIO.fileSize(path: path)) ?? 0)
        // A crash mid-write leaves part of a frame: chop 3 bytes off the last record.
        try FileIO.truncate(path, to: Int64(size - 3))
        let again = try openStore(dir)
        #expect(count(again) == 9 * 5)
        #expect(((try? FileIO.fileSize(path: path)) ?? 0) < Int64(size - 3))
        _ = try await again.append(batch(5, at: base + 20_000))
        try await again.close()
        let third = try openStore(dir)
        #expect(count(third) == 10 * 5)
        try await third.close()
    }

    @Test func garbageTailAndFlippedBitAreDetectedByCRC() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        for k in 0..<4 { _ = try await store.append(batch(3, at: base + Int64(k) * 1000)) }
        try await store.close()
        let walDir = dir.path + "/wal"
        let path = walDir + "/" + (try FileIO.listDirectory(walDir).filter { $0.count == 8 }.last!)
        var bytes = try FileIO.readFile(path)
        bytes[bytes.count - 2] ^= 0x40  // corrupt the payload of the last record
        bytes += [0x10, 0, 0, 0, 1, 2]  // and append a half-written header
        try FileIO.writeFile(path, bytes)
        let again = try openStore(dir)
        #expect(count(again) == 3 * 3)
        try await again.close()
    }

    @Test func headIsPersistedAsBlockAndSurvivesReopen() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        // 4 h at 60 s for 20 series: the oldest 2 h become a block once the head spans > 3 h.
        for k in 0..<240 { _ = try await store.append(batch(20, at: base + Int64(k) * 60_000)) }
        try await store.compact()
        let st = store.stats()
        #expect(st.blocks == 1)
        #expect(st.headMinTime >= base + 2 * hour)
        #expect(count(store) == 240 * 20)
        #expect(count(store, from: base, through: base + 2 * hour - 1) == 120 * 20)
        let blockDir = try FileIO.listDirectory(dir.path).first { $0 != "wal" }!
        #expect(FileIO.exists(dir.path + "/" + blockDir + "/meta.json"))
        #expect(FileIO.exists(dir.path + "/" + blockDir + "/index"))
        #expect(FileIO.exists(dir.path + "/" + blockDir + "/chunks/000001"))
        #expect(try FileIO.listDirectory(dir.path + "/wal").contains { $0.hasPrefix("checkpoint.") })
        // Samples inside the persisted range are now out of bounds.
        let late = try await store.append([(series(0), base + hour, 1)])
        #expect(late.outOfBounds == 1)
        // Crash (no close) and reopen: block + checkpoint + WAL give back everything once.
        let again = try openStore(dir)
        #expect(again.stats().blocks == 1)
        #expect(count(again) == 240 * 20)
        let one = again.select(matchers: [eq("i", "7")], from: base, through: base + 5 * hour)
        #expect(one.count == 1 && one[0].samples.count == 240)
        #expect(one[0].samples.map(\.t) == (0..<240).map { base + Int64($0) * 60_000 })
        #expect(again.labelValues(name: "i", from: base, through: base + hour).count == 20)
        try await again.close()
    }

    @Test func blocksCompactAndRetentionDeletes() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir, retentionHours: 12, maxBlockHours: 6)
        let base = 1_700_000_000_000 / (6 * hour) * (6 * hour)  // 6h-aligned
        func batch(_ n: Int, at t: Int64) -> [(labels: Labels, t: Int64, v: Double)] { self.batch(n, at: t) }
        // 11 h at 5 min: blocks for [0,2) [2,4) [4,6) merge into one 6 h block.
        for k in 0..<(11 * 12) { _ = try await store.append(batch(4, at: base + Int64(k) * 300_000)) }
        try await store.compact()
        var bs = store.blocks.snapshot
        #expect(bs.contains { $0.minTime == base && $0.maxTime == base + 6 * hour && $0.meta.compaction.level == 2 })
        #expect(bs.first?.meta.compaction.sources.count == 3)
        #expect(count(store) == 11 * 12 * 4)
        #expect(store.stats().compactions >= 1)
        // Another 10 h pushes the first 6 h block out of the 12 h retention.
        for k in (11 * 12)..<(21 * 12) { _ = try await store.append(batch(4, at: base + Int64(k) * 300_000)) }
        try await store.compact()
        bs = store.blocks.snapshot
        #expect(!bs.contains { $0.minTime == base })
        #expect(store.stats().blocksDeletedByRetention >= 1)
        #expect(count(store, from: base, through: base + 6 * hour - 1) == 0)
        #expect(count(store, from: base + 12 * hour, through: .max) == 9 * 12 * 4)
        try await store.close()
        let again = try openStore(dir, retentionHours: 12, maxBlockHours: 6)
        #expect(count(again, from: base + 12 * hour, through: .max) == 9 * 12 * 4)
        try await again.close()
    }

    @Test func importWritesBlocksMergedWithHeadOnRead() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        var history: [(Labels, Int64, Double)] = []
        for i in 0..<10 {
            for k in 0..<480 { history.append((series(i), base + Int64(k) * 15_000, Double(k))) }  // 2 h
        }
        history.append((series(0), base, 99))  // duplicate timestamp: first wins
        let r = try await store.importBlocks(samples: history.shuffled())
        #expect(r.samples == 4800 && r.series == 10 && r.duplicates == 1 && r.blocks == 1)
        _ = try await store.append(batch(10, at: base + 3 * hour))
        #expect(count(store) == 4800 + 10)
        let s0 = store.select(matchers: [eq("i", "0")], from: base, through: base)
        #expect(s0.first?.samples.first?.v == 0 || s0.first?.samples.first?.v == 99)
        let again = try openStore(dir)
        #expect(count(again) == 4810)
        try await again.close()
        try await store.close()
    }

    @Test func walSegmentsRollAndCheckpointDropsOldSegments() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)  // 64 KiB segments
        for k in 0..<170 { _ = try await store.append(batch(200, at: base + Int64(k) * 60_000)) }
        #expect(store.stats().walSegments > 2)
        for k in 170..<400 { _ = try await store.append(batch(200, at: base + Int64(k) * 60_000)) }
        try await store.compact()
        let names = try FileIO.listDirectory(dir.path + "/wal")
        #expect(names.filter { $0.hasPrefix("checkpoint.") }.count == 1)
        let again = try openStore(dir)
        #expect(count(again) == 400 * 200)
        try await again.close()
        try await store.close()
    }
}

@Suite struct ChurnTests {
    func named(_ prefix: String, _ i: Int) -> Labels { labels(["__name__": prefix, "i": String(i)]) }

    func count(_ store: MetricStore, _ name: String) -> (series: Int, samples: Int) {
        let r = store.select(matchers: [eq("__name__", name)], from: .min, through: .max)
        return (r.count, r.reduce(0) { $0 + $1.samples.count })
    }

    @Test func slotsOfCollectedSeriesAreReusedAndSurviveReplay() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        for k in 0..<12 { _ = try await store.append((0..<10).map { (named("old", $0), base + Int64(k) * 300_000, Double(k)) }) }
        for k in 0..<60 {
            _ = try await store.append((0..<10).map { (named("mid", $0), base + 2 * hour + Int64(k) * 300_000, Double(k)) })
        }
        try await store.compact()
        // "old" ended before the persisted range's end: collected from the head, kept in the block.
        #expect(store.stats().headSeries == 10)
        #expect(store.stats().seriesRemoved == 10)
        _ = try await store.append((0..<10).map { (named("new", $0), base + 7 * hour, Double($0)) })
        let refs = store.head.writer.withLock { w in (0..<10).map { w.refs[named("new", $0)]! } }
        #expect(refs.allSatisfy { HeadRef.epoch($0) > 1 })
        // Crash and reopen: reused slots must not confuse the WAL replay.
        let again = try openStore(dir)
        #expect(count(again, "old") == (10, 120))
        #expect(count(again, "mid") == (10, 600))
        #expect(count(again, "new") == (10, 10))
        let v = again.select(matchers: [eq("__name__", "new"), eq("i", "7")], from: .min, through: .max)
        #expect(v.first?.samples == [Sample(t: base + 7 * hour, v: 7)])
        _ = try await again.append([(named("new", 7), base + 7 * hour + 1000, 70), (named("newer", 1), base + 7 * hour, 1)])
        let third = try openStore(dir)
        #expect(count(third, "new") == (10, 11))
        #expect(count(third, "newer") == (1, 1))
        try await third.close()
        try await again.close()
        try await store.close()
    }
}

@Suite struct StaleMarkerTests {
    @Test func staleMarkersKeepTheirBitsThroughWALAndBlocks() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        let s = labels(["__name__": "up", "job": "x"])
        for k in 0..<240 {
            let v = k == 10 || k == 200 ? StaleNaN.value : (k == 11 ? Double.nan : Double(k))
            _ = try await store.append([(s, base + Int64(k) * 60_000, v)])
        }
        try await store.compact()
        #expect(store.stats().blocks == 1)
        let again = try openStore(dir)  // block for k < 120, WAL replay for the rest
        let got = again.select(matchers: [eq("job", "x")], from: .min, through: .max)[0].samples
        #expect(got.count == 240)
        #expect(got[10].v.bitPattern == StaleNaN.bits)
        #expect(got[200].v.bitPattern == StaleNaN.bits)
        #expect(got[11].v.isNaN && !StaleNaN.isStale(got[11].v))
        #expect(got[12].v == 12)
        try await again.close()
        try await store.close()
    }
}
