@testable import KansokuCore
import Testing

@Suite struct StringPoolTests {
    static func fresh(_ s: String) -> String { String(decoding: Array(s.utf8), as: UTF8.self) }

    @Test func equalStringsComeBackAsOneInstance() {
        var pool = StringPool()
        let a = Self.fresh("/api/v1/resource/1234"), b = Self.fresh("/api/v1/resource/1234")
        #expect(!a.sharesStorage(with: b))
        let first = pool.intern(a), second = pool.intern(b)
        #expect(first.sharesStorage(with: a) && second.sharesStorage(with: a))
        #expect(pool.count == 1)
        // Short strings live inline: nothing to pool.
        #expect(pool.intern("pod-1") == "pod-1")
        #expect(pool.count == 1)
    }

    @Test func labelsAlreadyPooledComeBackAsTheyAre() {
        var pool = StringPool()
        let given = Labels(["__name__": Self.fresh("http_requests_total"), "path": Self.fresh("/api/v1/resource/7"), "code": "200"])
        let pooled = pool.intern(given)
        #expect(pooled == given)
        // A second, equal set made of other buffers gets the pooled strings...
        let other = Labels(["__name__": Self.fresh("http_requests_total"), "path": Self.fresh("/api/v1/resource/7"), "code": "200"])
        let again = pool.intern(other)
        #expect(again == other)
        #expect(again["path"]!.sharesStorage(with: pooled["path"]!))
        #expect(!other["path"]!.sharesStorage(with: pooled["path"]!))
        // ...and a set already made of them is returned itself, array and all.
        let same = pool.intern(again)
        #expect(same.labels.withUnsafeBufferPointer { $0.baseAddress } == again.labels.withUnsafeBufferPointer { $0.baseAddress })
    }

    /// Strings of label sets that are gone leave the pool once it holds far more than the
    /// live sets use; the live sets' own strings are the ones kept.
    @Test func pruneKeepsOnlyTheLiveStrings() {
        var pool = StringPool()
        let gone = (0..<2000).map { pool.intern(Labels(["request_id": Self.fresh("request-\($0)-of-a-long-name")])) }
        let live = [pool.intern(Labels(["request_id": Self.fresh("a-series-still-written-to")]))]
        pool.prune(keeping: gone)
        #expect(pool.count == 2001)   // 2,000 live sets: nothing to drop
        pool.prune(keeping: live)
        #expect(pool.count == 1)
        #expect(pool.intern(Self.fresh("a-series-still-written-to")).sharesStorage(with: live[0]["request_id"]!))
    }
}
