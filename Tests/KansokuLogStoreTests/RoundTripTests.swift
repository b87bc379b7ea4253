import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct RoundTripTests {
    @Test func bytesSurviveRestartIncludingInvalidUTF8AndHugeLines() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        var expected: [LogEntry] = []
        expected.append(LogEntry(timestamp: baseTime, line: [0xFF, 0xFE, 0x00, 0x41, 0xC3]))          // invalid UTF-8, NUL
        expected.append(LogEntry(timestamp: baseTime + 1, line: []))                                     // empty line
        expected.append(LogEntry(timestamp: baseTime + 2, line: (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }))  // 3 MiB
        for i in 0..<2000 {
            expected.append(LogEntry(timestamp: baseTime + 3 + Int64(i), line: "level=info msg=\"request \(i)\" status=200 ü",
                                     metadata: i % 7 == 0 ? labels(["trace_id": "t\(i)"]) : Labels()))
        }
        let stream = labels(["app": "api", "env": "prod"])
        do {
            let store = try LogStore.open(smallConfig(dir), logger: testLogger)
            let r = try await store.append([StreamBatch(labels: stream, entries: expected)])
            #expect(r.accepted == expected.count)
            #expect(r.rejected.isEmpty)
            // Before close: head, memory and stored blocks together.
            #expect(firstDifference(try readAll(store, [eq("app", "api")]).first?.entries, expected) == nil)
            try await store.close()
        }
        let reopened = try LogStore.open(smallConfig(dir), logger: testLogger)
        let got = try readAll(reopened, [eq("app", "api")])
        #expect(got.count == 1)
        #expect(got.first?.stream.labels == stream)
        #expect(firstDifference(got.first?.entries, expected) == nil)
        let blocks = reopened.blocks(tenant: LogStore.defaultTenant, stream: got[0].stream.id, from: 0, through: .max)
        #expect(blocks.count > 3)
        #expect(blocks.allSatisfy { !$0.isHead })
        try await reopened.close()
    }

    @Test func restartReopensIndex() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        do {
            let store = try LogStore.open(smallConfig(dir), logger: testLogger)
            for app in ["api", "web", "db"] {
                _ = try await store.append([StreamBatch(labels: labels(["app": app, "env": app == "db" ? "staging" : "prod"]),
                                                        entries: [LogEntry(timestamp: baseTime, line: "hello \(app)")])])
            }
            try await store.close()
        }
        // The WAL is gone after close: everything comes from the index and segments.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/wal").isEmpty)
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        let t = LogStore.defaultTenant
        #expect(store.labelNames(tenant: t, from: 0, through: .max) == ["app", "env"])
        #expect(store.labelValues(tenant: t, name: "app", matchers: [], from: 0, through: .max) == ["api", "db", "web"])
        // The sorted values are kept between requests; a new value is there on the next one.
        _ = try await store.append([StreamBatch(labels: labels(["app": "cache", "env": "prod"]), entries: [LogEntry(timestamp: baseTime + 1, line: "hi")])])
        #expect(store.labelValues(tenant: t, name: "app", matchers: [], from: 0, through: .max) == ["api", "cache", "db", "web"])
        _ = try await store.append([StreamBatch(labels: labels(["app": "api", "env": "dev"]), entries: [LogEntry(timestamp: baseTime + 2, line: "hi")])])
        #expect(store.labelValues(tenant: t, name: "env", matchers: [], from: 0, through: .max) == ["dev", "prod", "staging"])
        #expect(store.labelValues(tenant: t, name: "app", matchers: [], from: 0, through: .max) == ["api", "cache", "db", "web"])
        #expect(store.streams(tenant: t, matchers: [eq("env", "prod")], from: 0, through: .max).count == 3)
        #expect(store.streams(tenant: "other", matchers: [eq("env", "prod")], from: 0, through: .max).isEmpty)
        let db = try readAll(store, [eq("app", "db")])
        #expect(db.first?.entries.map { String(decoding: $0.line, as: UTF8.self) } == ["hello db"])
        try await store.close()
    }

    @Test func matchersFollowPrometheusSemantics() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        let sets: [[String: String]] = [["app": "api", "env": "prod"], ["app": "web", "env": "dev"], ["app": "job"]]
        for s in sets { _ = try await store.append([StreamBatch(labels: labels(s), entries: [LogEntry(timestamp: baseTime, line: "x")])]) }
        func names(_ m: [LabelMatcher]) -> [String] {
            store.streams(tenant: LogStore.defaultTenant, matchers: m, from: 0, through: .max).compactMap { $0.labels["app"] }.sorted()
        }
        #expect(names([eq("app", "api")]) == ["api"])
        #expect(names([try LabelMatcher(name: "app", type: .regexMatch, value: ".+"), try LabelMatcher(name: "env", type: .notEqual, value: "prod")]) == ["job", "web"])
        #expect(names([try LabelMatcher(name: "app", type: .regexMatch, value: "a.*|w.*")]) == ["api", "web"])
        #expect(names([try LabelMatcher(name: "app", type: .regexNoMatch, value: "a.*")]) == ["job", "web"])
        #expect(names([try LabelMatcher(name: "app", type: .regexMatch, value: ".+"), eq("env", "")]) == ["job"])
        #expect(names([try LabelMatcher(name: "env", type: .regexMatch, value: "prod|")]) == ["api", "job"])
        #expect(names([eq("app", "nope")]).isEmpty)
        try await store.close()
    }
}
