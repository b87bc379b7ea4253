import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

/// Each tenant's chunks go to segment files of its own, and what an ingester ships per tenant
/// (its files and the period index narrowed to it) names nothing of another tenant's.
@Suite struct TenantSegmentTests {
    static func entries(_ tenant: String, count: Int) -> [LogEntry] {
        (0..<count).map { i in LogEntry(timestamp: baseTime + Int64(i) * 1_000_000, line: "\(tenant) line \(i) " + String(repeating: "x", count: i % 50)) }
    }

    @Test func tenantsHaveTheirOwnSegmentFilesAndShippedIndexes() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        _ = try await store.append([
            StreamBatch(tenant: "team-a", labels: labels(["app": "api"]), entries: Self.entries("a", count: 400)),
            StreamBatch(tenant: "team-b", labels: labels(["app": "api"]), entries: Self.entries("b", count: 300)),
            StreamBatch(tenant: "team-b", labels: labels(["app": "web"]), entries: Self.entries("b", count: 200)),
        ])
        await store.flush()
        await store.sealSegments()
        let period = SegmentFiles.periodFolder(store.state.withLock { $0.periodStart(baseTime, length: store.config.periodLength) })
        let files = try store.shippableFiles()
        #expect(files.filter(\.immutable).map { "\($0.tenant) \($0.relativePath)" }.sorted()
                == ["team-a \(period)/team-a~000001.flt", "team-a \(period)/team-a~000001.seg",
                    "team-b \(period)/team-b~000001.flt", "team-b \(period)/team-b~000001.seg"])
        #expect(files.filter { !$0.immutable }.map { "\($0.tenant) \($0.relativePath)" }.sorted()
                == ["team-a \(period)/index", "team-b \(period)/index"])

        for tenant in ["team-a", "team-b"] {
            let other = tenant == "team-a" ? "team-b" : "team-a"
            let shipped = try #require(files.first { $0.tenant == tenant && !$0.immutable }?.contents)
            let index = try StoredPeriodIndex(decoding: shipped, name: "index")
            let own = index.streams(tenant: tenant, matchers: [], from: 0, through: .max)
            #expect(own.map { $0.labels["app"] ?? "" }.sorted() == (tenant == "team-a" ? ["api"] : ["api", "web"]))
            #expect(own.allSatisfy { $0.chunks.allSatisfy { $0.file == "\(period)/\(tenant)~000001.seg" } })
            #expect(index.streams(tenant: other, matchers: [], from: 0, through: .max).isEmpty)
            var names = Set<String>()
            index.labelNames(tenant: other, from: 0, through: .max, into: &names)
            #expect(names.isEmpty)
        }
        // The store reads its tenants' data back from their files, as before.
        #expect(try readAll(store, [eq("app", "api")], tenant: "team-a").first?.entries.count == 400)
        #expect(try readAll(store, [eq("app", "api")], tenant: "team-b").first?.entries.count == 300)
        try await store.close()
    }

    @Test func segmentFileNamesSplitAtTheirLastTilde() {
        #expect(SegmentFiles.fileName(tenant: "fake", number: 12) == "fake~000012.seg")
        #expect(SegmentFiles.parseFileName("fake~000012.seg").map { "\($0.tenant ?? "-") \($0.number)" } == "fake 12")
        #expect(SegmentFiles.parseFileName("a.b(c)~000001.seg").map { "\($0.tenant ?? "-") \($0.number)" } == "a.b(c) 1")
        #expect(SegmentFiles.parseFileName("000003.seg").map { "\($0.tenant ?? "-") \($0.number)" } == "- 3")
        #expect(SegmentFiles.parseFileName("~000003.seg") == nil)
        #expect(SegmentFiles.parseFileName("index") == nil)
    }
}
