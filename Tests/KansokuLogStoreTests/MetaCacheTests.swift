import Testing
@testable import KansokuLogStore

/// Block metas (token filters) of every chunk ever read must not pile up in memory.
@Suite struct MetaCacheTests {
    static func metas(_ blocks: Int) -> [BlockMeta] {
        (0..<blocks).map { i in
            BlockMeta(offset: Int64(i), length: 100, entryCount: 1, minTime: 0, maxTime: 0, rawSize: 1, payloadSize: 1,
                      usesDictionary: false, bloom: TokenBloom(words: [UInt64](repeating: 0, count: 128)))
        }
    }

    @Test func staysWithinItsBudgetAndKeepsTheNewest() {
        var cache = MetaCache()
        let budget = 1 << 20
        for i in 0..<2000 {
            let key = DiskBlockLocation(file: "periods/0/000001.seg", offset: Int64(i), length: 1)
            cache.insert(Self.metas(4), for: key, budget: budget)
            #expect(cache.bytes <= budget)
            #expect(cache.entries[key] != nil)
        }
        #expect(cache.bytes == cache.entries.values.reduce(0) { $0 + MetaCache.size($1) })
        cache.remove { $0.file.hasPrefix("periods/0/") }
        #expect(cache.entries.isEmpty && cache.bytes == 0)
    }
}
