import Foundation
@testable import KansokuObjectStore
import KansokuTestSupport
import Logging
import Testing

@Suite struct DirectoryShipperTests {
    @Test func shipsNewChangedAndRemovedFiles() async throws {
        let data = ScratchDirectory.make("shipper-data")
        let bucket = try FileSystemObjectStore(root: ScratchDirectory.make("shipper-bucket"))
        try FileManager.default.createDirectory(atPath: data + "/periods/1", withIntermediateDirectories: true)
        func write(_ path: String, _ text: String) throws { try text.write(toFile: data + "/" + path, atomically: true, encoding: .utf8) }
        try write("periods/1/000001.seg", "segment one")
        try write("periods/1/index", "index v1")
        let files = [DirectoryShipper.File(relativePath: "periods/1/000001.seg", immutable: true),
                     DirectoryShipper.File(relativePath: "periods/1/index", immutable: false)]
        let shipper = DirectoryShipper(store: bucket, directory: data, prefix: "logs/i1/", logger: Logger(label: "test"))

        var report = await shipper.ship(files)
        #expect(report.uploaded == ["periods/1/000001.seg", "periods/1/index"])
        #expect(try await bucket.get("logs/i1/periods/1/index") == Array("index v1".utf8))

        report = await shipper.ship(files)
        #expect(report.uploaded.isEmpty)

        try write("periods/1/index", "index v2")  // same size, new content
        try write("periods/1/000002.seg", "segment two")
        report = await shipper.ship(files + [DirectoryShipper.File(relativePath: "periods/1/000002.seg", immutable: true)])
        #expect(report.uploaded == ["periods/1/000002.seg", "periods/1/index"])
        #expect(try await bucket.get("logs/i1/periods/1/index") == Array("index v2".utf8))

        // Compaction removed segment one.
        try FileManager.default.removeItem(atPath: data + "/periods/1/000001.seg")
        report = await shipper.ship([DirectoryShipper.File(relativePath: "periods/1/000002.seg", immutable: true), files[1]])
        #expect(report.deleted == ["periods/1/000001.seg"])
        #expect(try await bucket.list(prefix: "logs/i1/").map(\.key) == ["logs/i1/periods/1/000002.seg", "logs/i1/periods/1/index"])
    }

    /// A file given with its contents (an index narrowed to one tenant) is shipped with those
    /// bytes, not the file's, and shipped again only when they change.
    @Test func shipsGivenContentsInsteadOfTheFile() async throws {
        let data = ScratchDirectory.make("shipper-data")
        let bucket = try FileSystemObjectStore(root: ScratchDirectory.make("shipper-bucket"))
        try FileManager.default.createDirectory(atPath: data + "/periods/1", withIntermediateDirectories: true)
        try "every tenant's index".write(toFile: data + "/periods/1/index", atomically: true, encoding: .utf8)
        let shipper = DirectoryShipper(store: bucket, directory: data, prefix: "logs/t1/i1/", logger: Logger(label: "test"))
        let narrowed = DirectoryShipper.File(relativePath: "periods/1/index", immutable: false, contents: Array("t1 only".utf8))
        var report = await shipper.ship([narrowed])
        #expect(report.uploaded == ["periods/1/index"])
        #expect(try await bucket.get("logs/t1/i1/periods/1/index") == Array("t1 only".utf8))
        report = await shipper.ship([narrowed])
        #expect(report.uploaded.isEmpty)
        report = await shipper.ship([DirectoryShipper.File(relativePath: "periods/1/index", immutable: false, contents: Array("t1 again".utf8))])
        #expect(report.uploaded == ["periods/1/index"])
        #expect(try await bucket.get("logs/t1/i1/periods/1/index") == Array("t1 again".utf8))
    }

    @Test func aFreshShipperNeverDeletesWhatItOnlyFoundInTheBucket() async throws {
        let bucket = try FileSystemObjectStore(root: ScratchDirectory.make("shipper-bucket"))
        try await bucket.put("logs/i1/periods/1/000001.seg", [1, 2, 3])
        let emptyDisk = ScratchDirectory.make("shipper-empty")
        let shipper = DirectoryShipper(store: bucket, directory: emptyDisk, prefix: "logs/i1/", logger: Logger(label: "test"))
        let report = await shipper.ship([])
        #expect(report.deleted.isEmpty)
        #expect(try await bucket.get("logs/i1/periods/1/000001.seg") == [1, 2, 3])
    }

    @Test func anUnreachableStoreIsReportedAndRetried() async throws {
        let data = ScratchDirectory.make("shipper-data")
        try "x".write(toFile: data + "/a.seg", atomically: true, encoding: .utf8)
        let broken = FailingStore()
        let shipper = DirectoryShipper(store: broken, directory: data, prefix: "p/", logger: Logger(label: "test"))
        let report = await shipper.ship([DirectoryShipper.File(relativePath: "a.seg", immutable: true)])
        #expect(report.uploaded.isEmpty)
        #expect(report.failed.count == 1)
    }

    struct FailingStore: ObjectStore {
        func put(_ key: String, _ bytes: [UInt8]) async throws(ObjectStoreError) { throw .unreachable("down") }
        func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] { throw .unreachable("down") }
        func get(_ key: String, range: Range<Int>) async throws(ObjectStoreError) -> [UInt8] { throw .unreachable("down") }
        func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] { throw .unreachable("down") }
        func delete(_ key: String) async throws(ObjectStoreError) { throw .unreachable("down") }
    }
}
