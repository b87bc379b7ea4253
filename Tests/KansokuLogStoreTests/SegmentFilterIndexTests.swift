import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct SegmentFilterIndexTests {
    /// A store of several streams in small blocks, sealed as an ingester seals it.
    static func sealedStore(_ dir: String) async throws -> LogStore {
        let config = LogStoreConfig(directory: dir, blockSize: 4096, chunkTargetSize: 400_000)
        let store = try LogStore.open(config, logger: testLogger)
        var batches: [StreamBatch] = []
        for s in 0..<3 {
            let entries = (0..<4000).map { i in
                LogEntry(timestamp: baseTime + Int64(i) * second,
                         line: "s=\(s) ts=\(i) user=u\(i % 977) trace_id=\(String(UInt64(i * 3 + s) &* 0x9E37_79B9_7F4A_7C15, radix: 16)) msg=ok")
            }
            batches.append(StreamBatch(labels: labels(["app": "api", "s": "\(s)"]), entries: entries))
        }
        _ = try await store.append(batches)
        await store.flush()
        await store.sealSegments()
        return store
    }

    /// What an ingester of `sealedStore` ships: the files listed, the segment's and its filter
    /// index's entries among them, and both files' bytes.
    static func shipped(_ store: LogStore, in dir: String) throws
        -> (files: [ShippableFile], segment: ShippableFile, index: ShippableFile, segmentBytes: [UInt8], indexBytes: [UInt8]) {
        let files = try store.shippableFiles()
        let index = try #require(files.first { $0.relativePath.hasSuffix(".flt") })
        let segment = try #require(files.first { $0.relativePath.hasSuffix(".seg") })
        let read = { (f: ShippableFile) in [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f.relativePath))) }
        return (files, segment, index, try read(segment), try read(index))
    }

    /// Every chunk's partitions read from the segment's filter index equal the chunk's own.
    @Test func rowsHoldEachChunksPartitions() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try await Self.sealedStore(dir)
        let (files, segment, index, segmentBytes, bytes) = try Self.shipped(store, in: dir)
        #expect(SegmentFilterIndex.path(ofSegment: segment.relativePath) == index.relativePath)
        // Listed right after its segment, so it ships before the index that names the chunks.
        #expect(files.firstIndex { $0 == index }! == files.firstIndex { $0 == segment }! + 1)

        let footer = Array(bytes.suffix(SegmentFilterIndex.footerSize))
        let range = try SegmentFilterIndex.directoryRange(footer: footer, size: bytes.count, name: "flt")
        let filterIndex = try SegmentFilterIndex(directory: Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]), footer: footer, name: "flt")

        var checked = 0
        for s in 0..<3 {
            let refs = store.storedChunks(tenant: LogStore.defaultTenant, matchers: [eq("s", "\(s)")])
            #expect(!refs.isEmpty)
            for ref in refs {
                var fromIndex = try FilterPartitionsTests.storedChunk(in: segmentBytes, ref: ref)
                var fromChunk = fromIndex
                guard fromChunk.filterRange(0) != nil else { continue }
                for p in [0, 17, 128, 255] {
                    let range = filterIndex.rowRange(p)
                    let row = Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)])
                    #expect(filterIndex.verify(row: row))
                    let viaIndex = filterIndex.fill(&fromIndex, at: ref.offset, partition: p, verifiedRow: row)
                    let own = fromChunk.filterRange(p)!
                    let viaChunk = fromChunk.fillFilters(partition: p, bytes: Array(segmentBytes[Int(own.lowerBound)..<Int(own.upperBound)]))
                    #expect(viaIndex && viaChunk)
                }
                #expect(fromIndex.blocks.map(\.meta.bloom) == fromChunk.blocks.map(\.meta.bloom))
                checked += 1
            }
        }
        #expect(checked >= 3)

        // A damaged row is refused; a chunk the index does not hold is not filled.
        var row = Array(bytes[Int(filterIndex.rowRange(5).lowerBound)..<Int(filterIndex.rowRange(5).upperBound)])
        row[0] ^= 1
        #expect(!filterIndex.verify(row: row))
        let ref = try #require(store.storedChunks(tenant: LogStore.defaultTenant, matchers: [eq("s", "0")]).first)
        var chunk = try FilterPartitionsTests.storedChunk(in: segmentBytes, ref: ref)
        let elsewhere = filterIndex.fill(&chunk, at: ref.offset + 1, partition: 5, verifiedRow: row)
        #expect(!elsewhere)
        try await store.close()
    }
}

extension SegmentFilterIndexTests {
    /// Compaction deletes a merged-away segment's filter index with it.
    @Test func compactionDeletesFilterIndexesWithTheirSegments() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 4096, chunkTargetSize: 256 * 1024)
        for round in 0..<4 {
            let store = try LogStore.open(config, logger: testLogger)
            let entries = (0..<300).map { i in LogEntry(timestamp: baseTime + Int64(round * 300 + i) * 1_000_000, line: "round=\(round) i=\(i)") }
            _ = try await store.append([StreamBatch(labels: labels(["app": "quiet"]), entries: entries)])
            await store.flush()
            await store.sealSegments()
            _ = try store.shippableFiles()
            try await store.close()
        }
        let indexes = { CompactionTests.segmentFiles(dir).map { String($0.dropLast(4)) + ".flt" }.filter { FileManager.default.fileExists(atPath: dir + "/periods/" + $0) } }
        #expect(indexes().count == 4)
        let store = try LogStore.open(config, logger: testLogger)
        let now = TimeParser.currentNanos()
        _ = try await store.compact(minChunks: 4, grace: 0, now: now)
        _ = try await store.compact(minChunks: 4, grace: 0, now: now + 1)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir + "/periods").flatMap { p in
            try FileManager.default.contentsOfDirectory(atPath: dir + "/periods/" + p).filter { $0.hasSuffix(".flt") }
        }
        #expect(left.isEmpty, "\(left)")
        #expect(CompactionTests.segmentFiles(dir).count == 1)
        try await store.close()
    }
}

extension SegmentFilterIndexTests {
    /// A filter index is read from a bucket: a damaged or forged one is refused with an error
    /// or fills nothing, whatever byte is wrong, and never traps.
    @Test func damagedFilterIndexesAreRefused() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try await Self.sealedStore(dir)
        let (_, _, _, segmentBytes, good) = try Self.shipped(store, in: dir)
        let ref = try #require(store.storedChunks(tenant: LogStore.defaultTenant, matchers: [eq("s", "1")]).first)
        try await store.close()

        /// Reads `bytes` as a querier does; whether partition 9 of the chunk was filled.
        func read(_ bytes: [UInt8]) -> Bool {
            guard bytes.count >= SegmentFilterIndex.footerSize else { return false }
            let footer = Array(bytes.suffix(SegmentFilterIndex.footerSize))
            guard let range = try? SegmentFilterIndex.directoryRange(footer: footer, size: bytes.count, name: "flt"),
                  let index = try? SegmentFilterIndex(directory: Array(bytes[Int(range.lowerBound)..<Int(range.upperBound)]), footer: footer, name: "flt")
            else { return false }
            let rowRange = index.rowRange(9)
            guard rowRange.upperBound <= Int64(bytes.count) else { return false }
            let row = Array(bytes[Int(rowRange.lowerBound)..<Int(rowRange.upperBound)])
            guard index.verify(row: row), var chunk = try? FilterPartitionsTests.storedChunk(in: segmentBytes, ref: ref) else { return false }
            return index.fill(&chunk, at: ref.offset, partition: 9, verifiedRow: row)
        }
        #expect(read(good))
        // Wrong magic, a footer pointing elsewhere, a size that does not add up.
        var forged = good
        forged[forged.count - 1] ^= 0xFF
        #expect(throws: LogStoreError.self) { try SegmentFilterIndex.directoryRange(footer: Array(forged.suffix(16)), size: forged.count, name: "flt") }
        #expect(throws: LogStoreError.self) { try SegmentFilterIndex.directoryRange(footer: Array(good.suffix(16)), size: good.count + 1, name: "flt") }
        #expect(!read(Array(good.prefix(good.count - 1))))
        #expect(!read(Array(good.suffix(10))))
        // Any single damaged byte: an error, a refused row, or (outside row 9 and the
        // directory) the same answer; never a trap.
        var rng = SplitMix64(seed: 7)
        for _ in 0..<400 {
            var bytes = good
            bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            _ = read(bytes)
        }
        // Every byte of the directory and footer, one at a time: never accepted as it was.
        let range = try SegmentFilterIndex.directoryRange(footer: Array(good.suffix(16)), size: good.count, name: "flt")
        for i in Int(range.lowerBound)..<good.count {
            var bytes = good
            bytes[i] ^= 0x5A
            let footer = Array(bytes.suffix(16))
            let parsed = (try? SegmentFilterIndex.directoryRange(footer: footer, size: bytes.count, name: "flt")).flatMap { r in
                try? SegmentFilterIndex(directory: Array(bytes[Int(r.lowerBound)..<Int(r.upperBound)]), footer: footer, name: "flt")
            }
            #expect(parsed == nil, "byte \(i) damaged and still read")
        }
    }
}

extension LogStore {
    /// The chunk refs the store's indexes hold for the matching streams, as a querier gets them.
    func storedChunks(tenant: String, matchers: [LabelMatcher]) -> [StoredChunkRef] {
        let periods = state.withLock { $0.periods }
        var refs = Set<StoredChunkRef>()
        for p in periods.values {
            for id in p.matching(tenant: tenant, matchers) { for c in p.streams[id]?.chunks ?? [] { refs.insert(StoredChunkRef(c)) } }
        }
        return refs.sorted { $0.offset < $1.offset }
    }
}
