import Foundation
import KansokuCore
import KansokuLogStore
import Synchronization
import Testing
@testable import KansokuLogQL

@Suite struct LiveTailTests {
    static let base: Int64 = 1_704_067_200 * 1_000_000_000

    func openStore() throws -> (LogStore, String) {
        let dir = FileManager.default.temporaryDirectory.path + "/kansoku-livetail-" + UUID().uuidString
        return (try LogStore.open(LogStoreConfig(directory: dir)), dir)
    }

    func push(_ store: LogStore, _ lines: [String], app: String = "api", at t: Int64) async throws {
        let entries = lines.enumerated().map { LogEntry(timestamp: t + Int64($0.offset), line: $0.element) }
        _ = try await store.append([StreamBatch(labels: Labels(["app": app]), entries: entries)])
    }

    /// Frames a running tail sent, and a way to wait for them.
    final class Received: Sendable {
        let frames = Mutex<[TailFrame]>([])
        let tookFirst = Mutex(false)
        var lines: [String] { frames.withLock { $0.flatMap { $0.streams.flatMap { $0.entries.map { String(decoding: $0.line, as: UTF8.self) } } } } }
        var dropped: [DroppedEntry] { frames.withLock { $0.flatMap(\.dropped) } }

        func wait(until done: () -> Bool) async throws {
            for _ in 0..<500 where !done() { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    @Test func historyThenLiveLinesOnceWithThePipelineApplied() async throws {
        let (store, dir) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await push(store, ["GET /a 200", "GET /b 500", "GET /c 500"], at: Self.base)
        try await push(store, ["other 500"], app: "web", at: Self.base)
        let received = Received()
        let tail = LiveTail(store: store, engine: LogQLEngine(store: store))
        let request = LiveTail.Request(query: #"{app="api"} |= "500" | line_format "{{.app}}: {{__line__}}""#, tenant: LogStore.defaultTenant,
                                       start: Self.base - 1_000_000_000, limit: 100)
        let task = Task { try await tail.run(request) { frame in received.frames.withLock { $0.append(frame) } } }
        try await received.wait { received.lines.count == 2 }
        // Accepted after the history, one of them older than everything the stream holds.
        try await push(store, ["GET /d 500", "GET /e 200"], at: Self.base + 10)
        try await push(store, ["GET /late 500"], at: Self.base - 500)
        try await received.wait { received.lines.count == 4 }
        task.cancel()
        _ = await task.result
        #expect(received.lines == ["api: GET /b 500", "api: GET /c 500", "api: GET /d 500", "api: GET /late 500"])
        #expect(received.dropped.isEmpty)
        try await store.close()
    }

    @Test func aSlowReaderIsToldWhatItMissed() async throws {
        let (store, dir) = try openStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let received = Received()
        let tail = LiveTail(store: store, engine: LogQLEngine(store: store))
        let request = LiveTail.Request(query: #"{app="api"}"#, tenant: LogStore.defaultTenant, start: Self.base, limit: 0, bufferEntries: 10)
        let task = Task {
            try await tail.run(request) { frame in
                received.frames.withLock { $0.append(frame) }
                // The first frame takes the reader a while: meanwhile 25 lines arrive.
                let first = received.tookFirst.withLock { took in
                    defer { took = true }
                    return !took
                }
                if first { try await Task.sleep(for: .milliseconds(500)) }
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        try await push(store, ["first"], at: Self.base)
        try await received.wait { !received.frames.withLock { $0.isEmpty } }
        try await push(store, (0..<25).map { "line \($0)" }, at: Self.base + 100)
        try await received.wait { received.lines.count == 11 && !received.dropped.isEmpty }
        task.cancel()
        _ = await task.result
        #expect(received.lines == ["first"] + (0..<10).map { "line \($0)" })
        #expect(received.dropped == (10..<25).map { DroppedEntry(labels: Labels(["app": "api"]), timestamp: Self.base + 100 + Int64($0)) })
        try await store.close()
    }
}
