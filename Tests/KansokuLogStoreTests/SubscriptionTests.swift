import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct SubscriptionTests {
    func lines(_ prefix: String, _ range: Range<Int>, at times: (Int) -> Int64) -> [LogEntry] {
        range.map { LogEntry(timestamp: times($0), line: "\(prefix) \($0)") }
    }

    func texts(_ d: SubscriptionDelivery) -> [String] {
        d.batches.flatMap { p in
            (0..<p.batch.count).map { String(decoding: p.batch.bytes[p.batch.lineStarts[$0]..<p.batch.lineEnds[$0]], as: UTF8.self) }
        }
    }

    @Test func matchingEntriesArriveInAcceptanceOrderLateOnesIncluded() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        let sub = store.subscribe(tenant: LogStore.defaultTenant, matchers: [eq("app", "api")])
        let before = store.appliedSequence
        _ = try await store.append([StreamBatch(labels: labels(["app": "api"]), entries: lines("a", 0..<3) { baseTime + Int64($0) * second })])
        _ = try await store.append([StreamBatch(labels: labels(["app": "web"]), entries: lines("w", 0..<3) { baseTime + Int64($0) })])
        // Older than what the stream holds, inside the out-of-order window.
        _ = try await store.append([StreamBatch(labels: labels(["app": "api"]), entries: lines("late", 0..<2) { baseTime - 60 * second + Int64($0) })])
        _ = try await store.append([StreamBatch(tenant: "other", labels: labels(["app": "api"]), entries: lines("t", 0..<1) { _ in baseTime })])
        let d = try #require(sub.takeNow())
        #expect(texts(d) == ["a 0", "a 1", "a 2", "late 0", "late 1"])
        #expect(d.batches.map(\.sequence) == d.batches.map(\.sequence).sorted())
        #expect(d.batches.allSatisfy { $0.sequence > before && $0.sequence <= store.appliedSequence })
        #expect(d.droppedCount == 0)
        sub.cancel()
        #expect(await sub.next() == nil)
        try await store.close()
    }

    @Test func aSlowReaderGetsWhatFitsAndTheRestAsDropped() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        let stream = labels(["app": "api"])
        let sub = store.subscribe(tenant: LogStore.defaultTenant, matchers: [eq("app", "api")], capacity: 10)
        _ = try await store.append([StreamBatch(labels: stream, entries: lines("x", 0..<25) { baseTime + Int64($0) })])
        let d = try #require(await sub.next())
        #expect(texts(d) == (0..<10).map { "x \($0)" })
        #expect(d.droppedCount == 15)
        #expect(d.dropped == (10..<25).map { DroppedEntry(labels: stream, timestamp: baseTime + Int64($0)) })
        // Taking frees the buffer again.
        _ = try await store.append([StreamBatch(labels: stream, entries: lines("y", 0..<5) { baseTime + 100 + Int64($0) })])
        let next = try #require(await sub.next())
        #expect(texts(next) == (0..<5).map { "y \($0)" })
        #expect(next.droppedCount == 0)
        try await store.close()
    }

    @Test func theBufferIsBoundedInBytesToo() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        let stream = labels(["app": "api"])
        let sub = store.subscribe(tenant: LogStore.defaultTenant, matchers: [eq("app", "api")], capacity: 1000, capacityBytes: 100)
        // 30-byte lines: three fit in 100 bytes, the other seven are dropped.
        let lines = (0..<10).map { LogEntry(timestamp: baseTime + Int64($0), line: String(repeating: "x", count: 29) + "\($0)") }
        _ = try await store.append([StreamBatch(labels: stream, entries: lines)])
        let d = try #require(await sub.next())
        #expect(d.entryCount == 3)
        #expect(d.droppedCount == 7)
        #expect(d.dropped.map(\.timestamp) == (3..<10).map { baseTime + Int64($0) })
        try await store.close()
    }

    @Test func cancellingTheWaitingTaskEndsTheSubscription() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        let sub = store.subscribe(tenant: LogStore.defaultTenant, matchers: [eq("app", "api")])
        let waiter = Task { await sub.next() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        #expect(await waiter.value == nil)
        #expect(sub.takeNow() == nil)
        try await store.close()
    }
}
