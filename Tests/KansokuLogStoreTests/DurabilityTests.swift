import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct DurabilityTests {
    @Test func walReplayDropsTornTail() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let stream = labels(["app": "api"])
        let entries = (0..<300).map { LogEntry(timestamp: baseTime + Int64($0), line: "line \($0) of the log") }
        do {
            // Opened and appended to, never closed: as if the process was killed.
            let store = try LogStore.open(LogStoreConfig(directory: dir), logger: testLogger)
            for chunk in stride(from: 0, to: entries.count, by: 50) {
                let r = try await store.append([StreamBatch(labels: stream, entries: Array(entries[chunk..<chunk + 50]))])
                #expect(r.accepted == 50)
            }
        }
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir + "/wal").filter { $0.hasSuffix(".wal") }.sorted()
        #expect(!segments.isEmpty)
        // A torn record: a header promising more bytes than follow, then half a payload.
        let last = dir + "/wal/" + segments.last!
        let handle = try #require(FileHandle(forWritingAtPath: last))
        handle.seekToEndOfFile()
        handle.write(Data([200, 0, 0, 0, 1, 2, 3, 4, 1, 4, 0x66, 0x61]))
        try handle.close()
        let sizeBefore = try FileManager.default.attributesOfItem(atPath: last)[.size] as! Int

        let store = try LogStore.open(LogStoreConfig(directory: dir), logger: testLogger)
        let got = try readAll(store, [eq("app", "api")])
        #expect(firstDifference(got.first?.entries, entries) == nil)
        let sizeAfter = (try? FileManager.default.attributesOfItem(atPath: last)[.size] as? Int) ?? 0
        #expect(sizeAfter <= sizeBefore - 12)
        // Appends continue after replay; a second restart sees both.
        _ = try await store.append([StreamBatch(labels: stream, entries: [LogEntry(timestamp: baseTime + 1000, line: "after")])])
        try await store.close()
        let again = try LogStore.open(LogStoreConfig(directory: dir), logger: testLogger)
        #expect(try readAll(again, [eq("app", "api")]).first?.entries.count == 301)
        try await again.close()
    }

    @Test func replayAfterPartialFlushDoesNotDuplicate() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 2048, chunkTargetSize: 1024)
        let entries = (0..<2000).map { LogEntry(timestamp: baseTime + Int64($0), line: "entry number \($0) with some text \($0 * 7919)") }
        do {
            let store = try LogStore.open(config, logger: testLogger)
            for chunk in stride(from: 0, to: entries.count, by: 100) {
                _ = try await store.append([StreamBatch(labels: labels(["app": "a"]), entries: Array(entries[chunk..<chunk + 100])),
                                            StreamBatch(labels: labels(["app": "quiet"]), entries: [LogEntry(timestamp: baseTime + Int64(chunk), line: "q")])])
            }
            // Chunks of "a" were written while "quiet" pins the WAL: killed without close.
            try await Task.sleep(for: .milliseconds(200))
        }
        let store = try LogStore.open(config, logger: testLogger)
        #expect(firstDifference(try readAll(store, [eq("app", "a")]).first?.entries, entries) == nil)
        #expect(try readAll(store, [eq("app", "quiet")]).first?.entries.count == 20)
        try await store.close()
    }

    @Test func concurrentAppendersAreAllDurable() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var n = 0
                    for i in 0..<40 {
                        let batch = StreamBatch(labels: labels(["app": "w\(worker % 4)"]),
                                                entries: (0..<10).map { LogEntry(timestamp: baseTime + Int64(i * 10 + $0), line: "w\(worker) \(i) \($0)") })
                        n += try await store.append([batch]).accepted
                    }
                    return n
                }
            }
            var total = 0
            for try await n in group { total += n }
            #expect(total == 8 * 40 * 10)
        }
        try await store.close()
        let reopened = try LogStore.open(smallConfig(dir), logger: testLogger)
        let all = try readAll(reopened, [try LabelMatcher(name: "app", type: .regexMatch, value: ".+")])
        #expect(all.count == 4)
        #expect(all.reduce(0) { $0 + $1.entries.count } == 3200)
        for s in all {
            #expect(s.entries.map(\.timestamp) == s.entries.map(\.timestamp).sorted())
        }
        try await reopened.close()
    }

    @Test func maintainWritesOldChunksAndTruncatesTheWAL() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 1 << 20, maxChunkAge: 60 * second)
        let store = try LogStore.open(config, logger: testLogger)
        _ = try await store.append([StreamBatch(labels: labels(["app": "quiet"]),
                                                entries: (0..<10).map { LogEntry(timestamp: baseTime + Int64($0), line: "q\($0)") })])
        let id = try #require(store.streams(tenant: LogStore.defaultTenant, matchers: [eq("app", "quiet")], from: 0, through: .max).first?.id)
        let before = store.blocks(tenant: LogStore.defaultTenant, stream: id, from: 0, through: .max)
        #expect(before.allSatisfy { $0.isHead })
        await store.maintain(now: TimeParser.currentNanos() + 120 * second)
        await store.segments.barrier()
        let blocks = store.blocks(tenant: LogStore.defaultTenant, stream: id, from: 0, through: .max)
        #expect(blocks.count == 1)
        #expect(blocks.allSatisfy { $0.location.hasPrefix("periods/") })
        // New appends go to a new WAL segment; the old one is gone.
        store.wal.rotate()
        _ = try await store.append([StreamBatch(labels: labels(["app": "quiet"]), entries: [LogEntry(timestamp: baseTime + 100, line: "later")])])
        await store.maintain(now: TimeParser.currentNanos() + 240 * second)
        await store.segments.barrier()
        let wal = try FileManager.default.contentsOfDirectory(atPath: dir + "/wal").filter { $0.hasSuffix(".wal") }
        #expect(wal.count <= 1)
        try await store.close()
        let reopened = try LogStore.open(config, logger: testLogger)
        let back = try readAll(reopened, [eq("app", "quiet")])
        #expect(back.first?.entries.count == 11)
        try await reopened.close()
    }
}
