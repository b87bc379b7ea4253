import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct WALCheckpointTests {
    static func walBytes(_ dir: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/wal")) ?? []
        return names.filter { $0.hasSuffix(".wal") }.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: dir + "/wal/" + name)[.size] as? Int) ?? 0)
        }
    }

    /// Lines that compress as real logs do: shared words, varying numbers.
    static func line(_ stream: Int, _ i: Int) -> String {
        "level=info stream=s\(stream) msg=\"request served\" path=/api/v1/items/\(i % 97) status=200 duration_ms=\(i * 7 % 1000) seq=\(i)"
    }

    @Test func cutoffKeepsTheNewestSegmentsWithinHalfTheBudget() {
        #expect(WALCheckpointPlan.cutoff(segments: [], keepBytes: 100) == 0)
        #expect(WALCheckpointPlan.cutoff(segments: [(3, 500)], keepBytes: 100) == 3)
        #expect(WALCheckpointPlan.cutoff(segments: [(1, 40), (2, 40), (3, 40), (4, 10)], keepBytes: 100) == 2)
        #expect(WALCheckpointPlan.cutoff(segments: [(1, 40), (2, 40), (3, 90), (4, 80)], keepBytes: 100) == 4)
    }

    /// Busy streams whose chunks would take far more than the WAL budget to fill: without a
    /// checkpoint the WAL grows with every append; with one it stays near its budget, and a
    /// kill at the end loses and duplicates nothing.
    @Test func sustainedAppendsKeepTheWALBoundedAndReplayExactly() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 16 << 10, chunkTargetSize: 64 << 20,
                                    walSegmentSize: 32 << 10, walCheckpointBytes: 128 << 10)
        let streams = 8, rounds = 300, perBatch = 20
        var maxWAL = 0
        do {
            let store = try LogStore.open(config, logger: testLogger)
            for round in 0..<rounds {
                let batches = (0..<streams).map { s in
                    StreamBatch(labels: labels(["app": "a\(s)"]), entries: (0..<perBatch).map { k in
                        let i = round * perBatch + k
                        return LogEntry(timestamp: baseTime + Int64(i), line: Self.line(s, i))
                    })
                }
                #expect(try await store.append(batches).accepted == streams * perBatch)
                if round % 10 == 9 {
                    await store.segments.barrier()
                    maxWAL = max(maxWAL, Self.walBytes(dir))
                }
            }
            await store.segments.barrier()
            // Killed without close: only the WAL and what checkpoints wrote survive.
        }
        let rawBytes = (0..<streams).reduce(0) { t, s in t + (0..<rounds * perBatch).reduce(0) { $0 + Self.line(s, $1).utf8.count } }
        // Budget plus one segment being written and one append's records in flight.
        #expect(maxWAL <= (128 << 10) + (32 << 10) + 64 << 10, "WAL reached \(maxWAL) bytes for \(rawBytes) bytes of lines")
        #expect(rawBytes > 20 * maxWAL)

        let store = try LogStore.open(config, logger: testLogger)
        for s in 0..<streams {
            let got = try readAll(store, [eq("app", "a\(s)")]).first?.entries
            let want = (0..<rounds * perBatch).map { LogEntry(timestamp: baseTime + Int64($0), line: Self.line(s, $0)) }
            #expect(firstDifference(got, want) == nil, "stream a\(s)")
        }
        try await store.close()
    }

    @Test func recordsAreCompressedAndStillReplay() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, walCheckpointBytes: 0)
        let entries = (0..<2000).map { LogEntry(timestamp: baseTime + Int64($0), line: Self.line(1, $0)) }
        do {
            let store = try LogStore.open(config, logger: testLogger)
            for part in stride(from: 0, to: entries.count, by: 500) {
                _ = try await store.append([StreamBatch(labels: labels(["app": "z"]), entries: Array(entries[part..<part + 500]))])
            }
        }
        let raw = entries.reduce(0) { $0 + $1.line.count }
        #expect(Self.walBytes(dir) * 4 < raw, "WAL \(Self.walBytes(dir)) bytes for \(raw) bytes of lines")
        let store = try LogStore.open(config, logger: testLogger)
        #expect(firstDifference(try readAll(store, [eq("app", "z")]).first?.entries, entries) == nil)
        try await store.close()
    }

    /// A compressed record whose CRC matches but whose zstd frame or declared length is
    /// nonsense is where replay stops (as at a torn tail): earlier records survive, nothing traps.
    @Test(arguments: [("garbage frame", UInt64(600)), ("length past the limit", UInt64(1) << 40)])
    func corruptCompressedRecordEndsReplayThere(_ name: String, declared: UInt64) async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        try FileManager.default.createDirectory(atPath: dir + "/wal", withIntermediateDirectories: true)
        let good = PackedBatch(StreamBatch(labels: labels(["app": "c"]), entries: [LogEntry(timestamp: baseTime, line: "kept")]))
        var w = ByteWriter()
        WALRecord.encode(good, range: 0..<1, into: &w)
        var payload = ByteWriter()
        payload.writeU8(WALRecord.compressedType)
        payload.writeUVarint(declared)
        payload.writeBytes([UInt8](repeating: 0xAB, count: 64))
        w.writeU32(UInt32(payload.count))
        w.writeU32(payload.bytes.withUnsafeBytes { CRC32C.checksum($0) })
        w.writeBytes(payload.bytes)
        WALRecord.encode(good, range: 0..<1, into: &w)
        #expect(FileManager.default.createFile(atPath: dir + "/wal/00000001.wal", contents: Data(w.bytes)))
        let store = try LogStore.open(LogStoreConfig(directory: dir), logger: testLogger)
        #expect(try readAll(store, [eq("app", "c")]).first?.entries.map(\.line) == [Array("kept".utf8)], "\(name)")
        try await store.close()
    }

    @Test func flushWritesEveryHeadAndEmptiesTheWAL() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, walCheckpointBytes: 0)
        let store = try LogStore.open(config, logger: testLogger)
        let entries = (0..<300).map { LogEntry(timestamp: baseTime + Int64($0), line: Self.line(2, $0)) }
        _ = try await store.append([StreamBatch(labels: labels(["app": "f"]), entries: entries)])
        #expect(Self.walBytes(dir) > 0)
        await store.flush()
        #expect(Self.walBytes(dir) == 0)
        let id = try #require(store.streams(tenant: LogStore.defaultTenant, matchers: [eq("app", "f")], from: 0, through: .max).first?.id)
        #expect(store.blocks(tenant: LogStore.defaultTenant, stream: id, from: 0, through: .max).allSatisfy { !$0.isHead })
        try await store.close()
        let reopened = try LogStore.open(config, logger: testLogger)
        #expect(firstDifference(try readAll(reopened, [eq("app", "f")]).first?.entries, entries) == nil)
        try await reopened.close()
    }

    /// A period that has streams registered but no chunk written yet has no folder: compaction
    /// and retention persisting its index must create it, not fail.
    @Test func compactionAndRetentionPersistAPeriodStillBeingWritten() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let hour: Int64 = 3600 * second
        let config = LogStoreConfig(directory: dir, retention: 24 * hour, blockSize: 1024, outOfOrderWindow: 1000 * hour)
        let store = try LogStore.open(config, logger: testLogger)
        let old = baseTime - 48 * hour
        _ = try await store.append([StreamBatch(labels: labels(["app": "old"]), entries: [LogEntry(timestamp: old, line: "x")])])
        let now = TimeParser.currentNanos()
        _ = try await store.append([StreamBatch(labels: labels(["app": "new"]), entries: [LogEntry(timestamp: now, line: "y")])])
        _ = try await store.compact(now: now)
        try store.applyRetention(now: now)
        _ = try await store.compact(now: now)
        #expect(try readAll(store, [eq("app", "new")]).first?.entries.count == 1)
        try await store.close()
    }
}
