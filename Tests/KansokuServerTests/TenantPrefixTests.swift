import Foundation
import KansokuCore
import KansokuLogStore
import KansokuObjectStore
import Logging
@testable import KansokuServer
import Synchronization
import Testing

/// An object store that notes which prefixes were listed and which keys read.
final class RecordingObjectStore: ObjectStore {
    let inner: any ObjectStore
    private let noted = Mutex<(listed: [String], read: [String])>(([], []))

    init(_ inner: any ObjectStore) { self.inner = inner }

    var listed: [String] { noted.withLock { $0.listed } }
    var read: [String] { noted.withLock { $0.read } }

    func put(_ key: String, _ bytes: [UInt8]) async throws(ObjectStoreError) { try await inner.put(key, bytes) }
    func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] {
        noted.withLock { $0.read.append(key) }
        return try await inner.get(key)
    }
    func get(_ key: String, range: Range<Int>) async throws(ObjectStoreError) -> [UInt8] {
        noted.withLock { $0.read.append(key) }
        return try await inner.get(key, range: range)
    }
    func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] {
        noted.withLock { $0.listed.append(prefix) }
        return try await inner.list(prefix: prefix)
    }
    func delete(_ key: String) async throws(ObjectStoreError) { try await inner.delete(key) }
}

/// With tenancy, an ingester ships each tenant's objects under `logs/<tenant>/`, and a
/// querier lists and reads only the prefix of the tenant asking.
@Suite struct TenantPrefixTests {
    static let base: Int64 = 1_704_067_200 * 1_000_000_000   // 2024-01-01T00:00:00Z, a period start

    static func entries(_ text: String, _ count: Int) -> [LogEntry] {
        (0..<count).map { LogEntry(timestamp: base + Int64($0) * 1_000_000, line: Array("\(text) \($0)".utf8)) }
    }

    @Test func eachTenantsObjectsLiveUnderItsOwnPrefix() async throws {
        let root = FileManager.default.temporaryDirectory.path + "/kansoku-tenant-prefix-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        let config = try KansokuConfig.parse("""
        server: { tenancy: true }
        storage: { path: \(root)/data, object_store: { backend: filesystem, directory: \(root)/bucket } }
        cluster: { ingester_id: ingester-1 }
        """)
        let logger = Logger(label: "tenant-prefix-tests")
        let store = try LogStore.open(LogStoreConfig(directory: root + "/data/logs"), logger: logger)
        _ = try await store.append([
            StreamBatch(tenant: "team-a", labels: Labels(["app": "api"]), entries: Self.entries("a", 300)),
            StreamBatch(tenant: "team-b", labels: Labels(["app": "api"]), entries: Self.entries("b", 200)),
            StreamBatch(tenant: "team-b", labels: Labels(["app": "web"]), entries: Self.entries("b", 100)),
        ])
        await store.flush()
        let shipping = try #require(try LogShipping.make(config: config, logStore: store, logger: logger))
        let report = await shipping.pass()
        #expect(report.failed.isEmpty, "\(report.failed)")
        try await store.close()

        let bucket = try FileSystemObjectStore(root: root + "/bucket")
        let incarnation = try LogShipping.incarnation(dataDirectory: root + "/data")
        let keys = try await bucket.list(prefix: "logs/").map(\.key).sorted()
        #expect(keys == [
            "logs/team-a/ingester-1/\(incarnation)/periods/\(Self.base)/index",
            "logs/team-a/ingester-1/\(incarnation)/periods/\(Self.base)/team-a~000001.flt",
            "logs/team-a/ingester-1/\(incarnation)/periods/\(Self.base)/team-a~000001.seg",
            "logs/team-b/ingester-1/\(incarnation)/periods/\(Self.base)/index",
            "logs/team-b/ingester-1/\(incarnation)/periods/\(Self.base)/team-b~000001.flt",
            "logs/team-b/ingester-1/\(incarnation)/periods/\(Self.base)/team-b~000001.seg",
        ])

        let recording = RecordingObjectStore(bucket)
        let index = BucketIndex(store: recording, logger: logger)
        let snapshot = await index.current(tenant: "team-b")
        #expect(snapshot.refreshError == nil)
        #expect(recording.listed == ["logs/team-b/"])
        #expect(recording.read == ["logs/team-b/ingester-1/\(incarnation)/periods/\(Self.base)/index"])
        #expect(snapshot.sources.map(\.prefix) == ["logs/team-b/ingester-1/\(incarnation)/"])
        let streams = snapshot.sources.flatMap(\.indexes).flatMap { $0.streams(tenant: "team-b", matchers: [], from: 0, through: .max) }
        #expect(streams.map { $0.labels["app"] ?? "" }.sorted() == ["api", "web"])
        #expect(streams.allSatisfy { $0.chunks.allSatisfy { snapshot.sources[0].holds($0) } })
        let foreign = snapshot.sources.flatMap(\.indexes).flatMap { $0.streams(tenant: "team-a", matchers: [], from: 0, through: .max) }
        #expect(foreign.isEmpty)
    }
}
