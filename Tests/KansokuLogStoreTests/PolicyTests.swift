import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct PolicyTests {
    @Test func outOfOrderWindow() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 4096, outOfOrderWindow: 10 * second)
        let store = try LogStore.open(config, logger: testLogger)
        let s = labels(["app": "api"])
        let r = try await store.append([StreamBatch(labels: s, entries: [
            LogEntry(timestamp: baseTime + 100 * second, line: "a"),
            LogEntry(timestamp: baseTime + 95 * second, line: "b"),     // inside the window
            LogEntry(timestamp: baseTime + 100 * second, line: "c"),    // equal timestamp: after "a"
            LogEntry(timestamp: baseTime + 80 * second, line: "d"),     // too old
        ])])
        #expect(r.accepted == 3)
        #expect(r.rejected.count == 1)
        let rejected = try #require(r.rejected.first)
        #expect(rejected.timestamp == baseTime + 80 * second)
        guard case let .tooOld(l, ts, oldest) = rejected.reason else {
            Issue.record("expected tooOld, got \(rejected.reason)")
            return
        }
        #expect(l == s)
        #expect(ts == baseTime + 80 * second)
        #expect(oldest == baseTime + 90 * second)
        #expect(rejected.reason.description.contains("app=\"api\""))
        #expect(rejected.reason.description.contains("2024-01-01T00:01:30Z"))
        let got = try readAll(store, [eq("app", "api")]).first?.entries.map { String(decoding: $0.line, as: UTF8.self) }
        #expect(got == ["b", "a", "c"])
        let backward = try store.select(LogSelect(matchers: [eq("app", "api")], from: 0, through: .max, direction: .backward, limit: 2))
        #expect(backward.first?.entries.map { String(decoding: $0.line, as: UTF8.self) } == ["c", "a"])
        try await store.close()
    }

    @Test func retentionDeletesWholeExpiredPeriods() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let hour = 3600 * second
        let config = LogStoreConfig(directory: dir, retention: 2 * hour, blockSize: 4096, outOfOrderWindow: 100 * hour,
                                    periodLength: hour)
        let store = try LogStore.open(config, logger: testLogger)
        let s = labels(["app": "api"])
        _ = try await store.append([StreamBatch(labels: s, entries: [LogEntry(timestamp: baseTime + 10 * second, line: "old")])])
        await store.flushAll()
        _ = try await store.append([StreamBatch(labels: s, entries: [LogEntry(timestamp: baseTime + 5 * hour, line: "new")])])
        await store.flushAll()
        let oldFolder = dir + "/periods/\(baseTime)"
        #expect(FileManager.default.fileExists(atPath: oldFolder + "/index"))
        try store.applyRetention(now: baseTime + 2 * hour)      // period [0h,1h) ends exactly at the cutoff? no: cutoff 0h
        #expect(FileManager.default.fileExists(atPath: oldFolder))
        try store.applyRetention(now: baseTime + 3 * hour)      // cutoff 1h: period [0h,1h) expired
        #expect(!FileManager.default.fileExists(atPath: oldFolder))
        let lines = try readAll(store, [eq("app", "api")]).first?.entries.map { String(decoding: $0.line, as: UTF8.self) }
        #expect(lines == ["new"])
        try await store.close()
        let reopened = try LogStore.open(config, logger: testLogger)
        #expect(try readAll(reopened, [eq("app", "api")]).first?.entries.count == 1)
        try await reopened.close()
    }

    @Test func flippedByteInStoredBlockReportsChecksumAndOthersStillRead() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 4096, chunkTargetSize: 1 << 20)
        let entries = (0..<3000).map { LogEntry(timestamp: baseTime + Int64($0), line: "GET /item/\($0 * 7) 200 \($0 % 13)ms user=\($0 % 97)") }
        do {
            let store = try LogStore.open(config, logger: testLogger)
            _ = try await store.append([StreamBatch(labels: labels(["app": "web"]), entries: entries)])
            try await store.close()
        }
        let store = try LogStore.open(config, logger: testLogger)
        let id = try #require(store.streams(tenant: LogStore.defaultTenant, matchers: [eq("app", "web")], from: 0, through: .max).first?.id)
        let blocks = store.blocks(tenant: LogStore.defaultTenant, stream: id, from: 0, through: .max)
        #expect(blocks.count >= 4)
        // Damage the third block (not the chunk's first, which later blocks use as dictionary).
        let victim = blocks[2]
        guard case let .disk(loc, _, _, _) = victim.source else {
            Issue.record("expected a stored block")
            return
        }
        let path = dir + "/" + loc.file
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[Int(loc.offset) + loc.length / 2] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        #expect(throws: LogStoreError.self) { try store.readBlock(victim) }
        do {
            _ = try store.readBlock(victim)
        } catch {
            guard case let .checksumMismatch(file, offset) = error else {
                Issue.record("expected checksumMismatch, got \(error)")
                return
            }
            #expect(file == path)
            #expect(offset == loc.offset)
            #expect(error.description.contains(path))
        }
        var readable = 0
        for (i, b) in blocks.enumerated() where i != 2 {
            let d = try store.readBlock(b)
            #expect(d.count == b.entryCount)
            readable += d.count
        }
        #expect(readable == entries.count - victim.entryCount)
        #expect(throws: LogStoreError.self) { _ = try readAll(store, [eq("app", "web")]) }
        try await store.close()
    }

    @Test func tokenFilterSkipsBlocksWithoutTheLiteral() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(LogStoreConfig(directory: dir, blockSize: 4096), logger: testLogger)
        var entries = (0..<2000).map { LogEntry(timestamp: baseTime + Int64($0), line: "GET /a/\($0 % 50) 200 user=u\($0 % 11)") }
        entries[1234].line += Array(" trace_id=c97fd9d4fe22a4b2e6200d0635ca70ac".utf8)
        _ = try await store.append([StreamBatch(labels: labels(["app": "web"]), entries: entries)])
        await store.flushAll()
        let id = try #require(store.streams(tenant: LogStore.defaultTenant, matchers: [eq("app", "web")], from: 0, through: .max).first?.id)
        let blocks = store.blocks(tenant: LogStore.defaultTenant, stream: id, from: 0, through: .max)
        let needle = Array("ace_id=C97FD9D4FE22A4B2E62".utf8)
        let maybe = blocks.filter { store.mayContain($0, literal: needle, caseInsensitive: true) }
        #expect(maybe.count == 1)
        #expect(blocks.filter { store.mayContain($0, literal: Array("user=u".utf8), caseInsensitive: false) }.count == blocks.count)
        let hits = try store.select(LogSelect(matchers: [eq("app", "web")], from: 0, through: .max, limit: 10,
                                              lineFilters: [LineFilter(literal: needle, caseInsensitive: true)]))
        #expect(hits.first?.entries.map(\.timestamp) == [baseTime + 1234])
        let none = try store.select(LogSelect(matchers: [eq("app", "web")], from: 0, through: .max, limit: 10,
                                              lineFilters: [LineFilter(literal: needle)]))
        #expect(none.isEmpty)
        try await store.close()
    }

    @Test func extremeTimestampsAndPeriodBoundaries() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let hour = 3600 * second
        let config = LogStoreConfig(directory: dir, blockSize: 1 << 20, outOfOrderWindow: .max, periodLength: hour)
        let times: [Int64] = [Int64.min, -1, 0, baseTime + hour - 1, baseTime + hour, baseTime + 3 * hour, Int64.max]
        do {
            let store = try LogStore.open(config, logger: testLogger)
            let r = try await store.append([StreamBatch(labels: labels(["app": "edge"]),
                                                        entries: times.map { LogEntry(timestamp: $0, line: "t\($0)") })])
            #expect(r.accepted == times.count)
            try await store.close()
        }
        let store = try LogStore.open(config, logger: testLogger)
        let got = try store.select(LogSelect(matchers: [eq("app", "edge")], from: .min, through: .max, direction: .forward, limit: 0))
        // `through` is exclusive, so Int64.max itself is outside [min, max).
        #expect(got.first?.entries.map(\.timestamp) == Array(times.dropLast()))
        let id = try #require(got.first?.stream.id)
        let blocks = store.blocks(tenant: LogStore.defaultTenant, stream: id, from: .min, through: .max)
        // One block per period touched: blocks never span periods.
        #expect(blocks.count == 7)
        for b in blocks {
            let start = b.minTime / hour - (b.minTime < 0 && b.minTime % hour != 0 ? 1 : 0)
            let end = b.maxTime / hour - (b.maxTime < 0 && b.maxTime % hour != 0 ? 1 : 0)
            #expect(start == end)
        }
        try await store.close()
    }
}
