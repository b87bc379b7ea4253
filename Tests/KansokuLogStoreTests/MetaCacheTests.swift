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
            #expect(cache.lookup(key, budget: budget) != nil)
        }
        #expect(cache.bytes == (cache.young.values.map(MetaCache.size) + cache.old.values.map(MetaCache.size)).reduce(0, +))
        // The older half of what was inserted is still there; a hit keeps an entry young.
        let early = DiskBlockLocation(file: "periods/0/000001.seg", offset: 1999 - Int64(budget / 2 / MetaCache.size(Self.metas(4))), length: 1)
        #expect(cache.lookup(early, budget: budget) != nil)
        #expect(cache.young[early] != nil)
        #expect(cache.lookup(DiskBlockLocation(file: "periods/0/000001.seg", offset: 0, length: 1), budget: budget) == nil)
        cache.remove { $0.file.hasPrefix("periods/0/") }
        #expect(cache.young.isEmpty && cache.old.isEmpty && cache.bytes == 0)
    }
}
