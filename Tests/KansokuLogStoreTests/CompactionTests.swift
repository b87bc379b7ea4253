import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct CompactionTests {
    static func segmentFiles(_ dir: String) -> [String] {
        let periods = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/periods")) ?? []
        return periods.flatMap { p in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir + "/periods/" + p)) ?? []).filter { $0.hasSuffix(".seg") }.map { p + "/" + $0 }
        }
    }

    static func chunkCount(_ store: LogStore, _ app: String) -> Int {
        store.state.withLock { st in
            st.periods.values.reduce(0) { n, p in n + p.streams.values.filter { $0.labels["app"] == app }.reduce(0) { $0 + $1.chunks.count } }
        }
    }

    /// Eight runs of the store each leave one small chunk of a quiet stream in its own segment
    /// file; compaction merges them into one chunk with every entry in order, swaps the index,
    /// and deletes the old files only after the grace period.
    @Test func mergesSmallChunksAndDeletesTheirFilesAfterGrace() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 4096, chunkTargetSize: 256 * 1024)
        var expected: [LogEntry] = []
        for round in 0..<8 {
            let store = try LogStore.open(config, logger: testLogger)
            let entries = (0..<300).map { i in
                LogEntry(timestamp: baseTime + Int64(round * 300 + i) * 1_000_000,
                         line: "round=\(round) i=\(i) trace_id=\(round)x\(i) " + String(repeating: "ab", count: i % 40))
            }
            expected += entries
            var batches = [StreamBatch(labels: labels(["app": "quiet"]), entries: entries)]
            if round < 2 { batches.append(StreamBatch(labels: labels(["app": "other"]), entries: [LogEntry(timestamp: baseTime, line: "o\(round)")])) }
            _ = try await store.append(batches)
            try await store.close()
        }
        let store = try LogStore.open(config, logger: testLogger)
        #expect(Self.chunkCount(store, "quiet") == 8)
        #expect(Self.segmentFiles(dir).count == 8)

        let now = TimeParser.currentNanos()
        let first = try await store.compact(minChunks: 4, grace: 300 * second, now: now)
        #expect(first.chunksMerged == 8)
        #expect(first.chunksWritten == 1)
        #expect(first.entries == 2400)
        #expect(first.filesDeleted == 0)   // retired, still inside the grace period
        #expect(Self.chunkCount(store, "quiet") == 1)
        #expect(Self.chunkCount(store, "other") == 2)   // under minChunks: left alone
        #expect(firstDifference(try readAll(store, [eq("app", "quiet")]).first?.entries, expected) == nil)

        // Files still holding the other stream's chunks stay; the rest go once the grace is over.
        let second = try await store.compact(minChunks: 4, grace: 300 * second, now: now + 301 * 1_000_000_000)
        #expect(second.chunksMerged == 0)
        #expect(second.filesDeleted == 6)
        #expect(Self.segmentFiles(dir).count == 3)
        let needle = store.blocks(tenant: LogStore.defaultTenant,
                                  stream: try #require(store.streams(tenant: LogStore.defaultTenant, matchers: [eq("app", "quiet")], from: 0, through: .max).first?.id),
                                  from: 0, through: .max)
        #expect(needle.filter { store.mayContain($0, literal: Array("trace_id=5x17".utf8), caseInsensitive: false) }.count < needle.count)
        try await store.close()

        let reopened = try LogStore.open(config, logger: testLogger)
        #expect(firstDifference(try readAll(reopened, [eq("app", "quiet")]).first?.entries, expected) == nil)
        #expect(try readAll(reopened, [eq("app", "other")]).first?.entries.map { String(decoding: $0.line, as: UTF8.self) } == ["o0", "o1"])
        try await reopened.close()
    }

    /// Chunks whose times interleave (each run wrote the whole time range again) are merged in
    /// time order, equal times in chunk order; chunks that follow each other in time take the
    /// path that copies block by block. Both give what reading the chunks gives.
    @Test(arguments: [true, false]) func mergesInTimeOrderWhetherChunksOverlapOrNot(_ overlapping: Bool) async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 2048, chunkTargetSize: 256 * 1024)
        var expected: [(t: Int64, round: Int, entry: LogEntry)] = []
        for round in 0..<6 {
            let store = try LogStore.open(config, logger: testLogger)
            let entries = (0..<200).map { i in
                // Overlapping: rounds r and r + 3 write the same times.
                let slot = overlapping ? i * 3 + round % 3 : round * 200 + i
                return LogEntry(timestamp: baseTime + Int64(slot) * 1_000_000, line: "round=\(round) i=\(i) " + String(repeating: "x", count: i % 50))
            }
            expected += entries.map { ($0.timestamp, round, $0) }
            _ = try await store.append([StreamBatch(labels: labels(["app": "merge"]), entries: entries)])
            try await store.close()
        }
        let store = try LogStore.open(config, logger: testLogger)
        #expect(Self.chunkCount(store, "merge") == 6)
        let cachedBefore = store.reader.cached
        let report = try await store.compact(minChunks: 4, grace: 300 * second, now: TimeParser.currentNanos())
        // The chunks it replaced stay out of the queries' caches.
        #expect(store.reader.cached == cachedBefore)
        #expect(report.chunksMerged == 6)
        #expect(report.entries == 1200)
        #expect(Self.chunkCount(store, "merge") == 1)
        let want = expected.sorted { ($0.t, $0.round) < ($1.t, $1.round) }.map(\.entry)
        #expect(firstDifference(try readAll(store, [eq("app", "merge")]).first?.entries, want) == nil)
        try await store.close()
    }
}
