import Foundation
@testable import KansokuObjectStore
import KansokuTestSupport
import Testing

@Suite struct FileSystemObjectStoreTests {
    @Test func putGetRangeListDelete() async throws {
        let store = try FileSystemObjectStore(root: ScratchDirectory.make("fsstore") + "/objects")
        try await store.put("t/2026/i1/a.seg", Array("hello world".utf8))
        try await store.put("t/2026/i1/b.idx", [1, 2, 3])
        try await store.put("t/2026/i2/a.seg", [])
        try await store.put("u/x", [9])
        #expect(try await store.get("t/2026/i1/a.seg") == Array("hello world".utf8))
        #expect(try await store.get("t/2026/i1/a.seg", range: 6..<11) == Array("world".utf8))
        #expect(try await store.get("t/2026/i2/a.seg") == [])
        #expect(try await store.list(prefix: "t/") == [
            ObjectInfo(key: "t/2026/i1/a.seg", size: 11), ObjectInfo(key: "t/2026/i1/b.idx", size: 3),
            ObjectInfo(key: "t/2026/i2/a.seg", size: 0),
        ])
        #expect(try await store.list(prefix: "t/2026/i1/a").map(\.key) == ["t/2026/i1/a.seg"])
        #expect(try await store.list(prefix: "").count == 4)
        #expect(try await store.list(prefix: "v/").isEmpty)
        #expect(await failure { _ = try await store.get("u/x", range: 0..<2) } == .invalidRange(key: "u/x", range: 0..<2, size: 1))
        try await store.delete("u/x")
        try await store.delete("u/x")
        #expect(await failure { _ = try await store.get("u/x") } == .notFound(key: "u/x"))
    }

    @Test func keysThatEscapeTheRootAreRefused() async throws {
        let store = try FileSystemObjectStore(root: ScratchDirectory.make("fsstore"))
        for key in ["", "/etc/passwd", "a/../../b", "a//b", "./a", "a/", "tab\there"] {
            #expect(await failure { try await store.put(key, [1]) } == .invalidKey(key))
        }
    }
}
