import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

@Suite struct FilterPartitionsTests {
    /// Blocks of random token lines, each with its filter as the store builds it.
    static func blocks(_ count: Int, linesEach: Int = 60) -> (lines: [[[UInt8]]], blocks: [EncodedBlock]) {
        var all: [[[UInt8]]] = []
        var blocks: [EncodedBlock] = []
        for i in 0..<count {
            let lines = Array(TokenBloomTests.lines().prefix(linesEach))
            let bloom = TokenBloomTests.build(lines)
            let compressed = [UInt8](repeating: UInt8(i), count: 100 + i)
            blocks.append(EncodedBlock(compressed: compressed, crc: compressed.withUnsafeBytes { CRC32C.checksum($0) },
                                       payloadSize: 5000, entryCount: lines.count, minTime: Int64(i) * 10, maxTime: Int64(i) * 10 + 9,
                                       rawSize: 4000, usesDictionary: i > 0, bloom: bloom, withoutMetadata: true))
            all.append(lines)
        }
        return (all, blocks)
    }

    /// Writes `blocks` as one chunk of a file and returns its path and length.
    static func write(_ blocks: [EncodedBlock], in dir: String) throws -> (String, [UInt8]) {
        let bytes = ChunkFormat.encode(stream: 7, blocks: blocks)
        let path = dir + "/chunk"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    /// The chunk at `offset` of a file's `bytes` as a querier reads it: footer, then meta.
    static func storedChunk(in bytes: [UInt8], at offset: Int64, length: Int) throws -> StoredChunk {
        try storedChunk(in: bytes, ref: StoredChunkRef(ChunkRef(file: "chunk", offset: offset, length: length, minTime: 0, maxTime: 0, entries: 1, rawSize: 1)))
    }

    static func storedChunk(in bytes: [UInt8], ref: StoredChunkRef) throws -> StoredChunk {
        let end = Int(ref.offset) + ref.length
        let metaRange = try ref.metaRange(footer: Array(bytes[(end - ChunkFormat.footerSize)..<end]))
        return try ref.chunk(meta: Array(bytes[Int(metaRange.lowerBound)..<Int(metaRange.upperBound)]), metaRange: metaRange)
    }

    static func readMeta(_ path: String, length: Int) throws -> [BlockMeta] {
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        return try ChunkFormat.readMeta(fd: fd, path: path, offset: 0, length: length)
    }

    /// Bit runs copied 56 bits at a time equal a bit-by-bit copy, at every alignment.
    @Test func bitRunsCopyLikeABitLoop() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let src = (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let dstCount = Int.random(in: 1...40, using: &rng)
            let count = Int.random(in: 0...min(src.count, dstCount) * 8, using: &rng)
            let s0 = Int.random(in: 0...(src.count * 8 - count), using: &rng)
            let d0 = Int.random(in: 0...(dstCount * 8 - count), using: &rng)
            var fast = [UInt8](repeating: 0, count: dstCount), slow = fast
            src.withUnsafeBytes { s in fast.withUnsafeMutableBytes { BitRun.or(s, from: s0, into: $0, at: d0, count: count) } }
            for k in 0..<count where src[(s0 + k) >> 3] & (1 << UInt8((s0 + k) & 7)) != 0 { slow[(d0 + k) >> 3] |= 1 << UInt8((d0 + k) & 7) }
            #expect(fast == slow, "src \(src.count) B from \(s0), dst \(dstCount) B at \(d0), \(count) bits")
        }
    }

    @Test func wordCountsFromFourWordsAreMultiplesOfFour() {
        for distinct in [1.0, 90, 100, 129, 130, 1000, 12_345] {
            let w = TokenBloomBuilder.wordCount(forDistinct: distinct)
            #expect(w < 4 || w % 4 == 0, "\(distinct) → \(w)")
            #expect(Double(w * 64) >= distinct * TokenBloom.bitsPerKey)
        }
    }

    @Test func quadrupledFilterKeepsEveryKey() {
        let lines = Array(TokenBloomTests.lines().prefix(20))
        var bloom = TokenBloomTests.build(lines)
        bloom.words = Array(bloom.words.prefix(3))   // a filter of a size that is not a multiple of 4
        let big = bloom.quadrupled()
        #expect(big.words.count == 12)
        for gram in UInt32(0)..<200_000 where bloom.has(gram, bloom.words.withUnsafeBufferPointer { $0 }, bits: bloom.bitCount) {
            #expect(big.words.withUnsafeBufferPointer { big.has(gram, $0, bits: big.bitCount) }, "gram \(gram)")
        }
    }

    @Test func largeChunksStorePartitionedAndReadBackTheSameFilters() throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let (_, blocks) = Self.blocks(40)
        let applies = FilterPartitions.applies(to: blocks.map(\.bloom))
        #expect(applies)
        let (path, bytes) = try Self.write(blocks, in: dir)
        let metas = try Self.readMeta(path, length: bytes.count)
        #expect(metas.count == 40)
        for (m, b) in zip(metas, blocks) {
            #expect(m.bloom.words == FilterPartitions.storable(b.bloom).words)
            #expect(m.bloom.known == nil)
            #expect(m.entryCount == b.entryCount && m.minTime == b.minTime && m.usesDictionary == b.usesDictionary)
        }
    }

    @Test func smallChunksKeepFiltersInline() throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let (_, blocks) = Self.blocks(2, linesEach: 5)
        let applies = FilterPartitions.applies(to: blocks.map(\.bloom))
        #expect(!applies)
        let (path, bytes) = try Self.write(blocks, in: dir)
        let metas = try Self.readMeta(path, length: bytes.count)
        #expect(metas.map(\.bloom.words) == blocks.map(\.bloom.words))
    }

    /// A reader with some partitions never rules out a block holding the literal, and with the
    /// partitions a literal asks for it rules out exactly what the whole filter rules out.
    @Test func partialFiltersAnswerMaybeOrTheSameAsWholeOnes() throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let (lines, blocks) = Self.blocks(40)
        let (_, bytes) = try Self.write(blocks, in: dir)
        var chunk = try Self.storedChunk(in: bytes, at: 0, length: bytes.count)
        // Nothing fetched yet: every block may hold anything.
        let absent = Array("trace_id=zzzzqqqqxxxxwwwwyyyyvvvv".utf8)
        #expect(chunk.blocks.allSatisfy { $0.mayContain(literal: absent, caseInsensitive: false) })
        let wanted = FilterPartitions.partitions(for: absent, caseInsensitive: false)
        #expect(wanted.count == 16)
        for p in wanted {
            let r = chunk.filterRange(p)!
            let filled = chunk.fillFilters(partition: p, bytes: Array(bytes[Int(r.lowerBound)..<Int(r.upperBound)]))
            #expect(filled)
        }
        // With them, each block answers exactly as its whole filter does (the partitions hold
        // every key of the literal), and whole filters rule out nearly every block: a filter's
        // false positives are rare, not impossible, on these random lines.
        let whole = blocks.map { b in absent.withUnsafeBytes { b.bloom.mayContain($0, caseInsensitive: false) } }
        #expect(chunk.blocks.map { $0.mayContain(literal: absent, caseInsensitive: false) } == whole)
        #expect(whole.filter { $0 }.count < 8)
        // Present substrings: never ruled out, with these partitions or all of them.
        for round in 0..<2 {
            if round == 1 {
                for p in 0..<FilterPartitions.count {
                    let r = chunk.filterRange(p)!
                    let filled = chunk.fillFilters(partition: p, bytes: Array(bytes[Int(r.lowerBound)..<Int(r.upperBound)]))
                    #expect(filled)
                }
            }
            for (i, block) in chunk.blocks.enumerated() {
                for line in lines[i].prefix(20) {
                    let a = Int.random(in: 0..<line.count), b = Int.random(in: a...line.count)
                    #expect(block.mayContain(literal: Array(line[a..<b]), caseInsensitive: false))
                }
            }
        }
        // All partitions known: the same answers as the whole filters.
        for (block, original) in zip(chunk.blocks, blocks) {
            #expect(block.meta.bloom.words == FilterPartitions.storable(original.bloom).words)
        }
    }

    @Test func aDamagedPartitionIsDetected() throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let (_, blocks) = Self.blocks(40)
        var (path, bytes) = try Self.write(blocks, in: dir)
        var chunk = try Self.storedChunk(in: bytes, at: 0, length: bytes.count)
        let r = chunk.filterRange(40)!
        bytes[Int(r.lowerBound) + 1] ^= 0x10
        let filled = chunk.fillFilters(partition: 40, bytes: Array(bytes[Int(r.lowerBound)..<Int(r.upperBound)]))
        #expect(!filled)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        path = dir + "/chunk"
        #expect(throws: LogStoreError.self) { try Self.readMeta(path, length: bytes.count) }
    }

    /// A chunk with partitioned filters, damaged at any byte of its meta section or filter
    /// section: the local reader reports it (or, for a byte its checks cannot see, reads
    /// the same filters); a querier's parse and fills never trap.
    @Test func damagedPartitionedChunksAreReportedNotTrusted() throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let (_, blocks) = Self.blocks(40)
        let (path, good) = try Self.write(blocks, in: dir)
        let expected = try Self.readMeta(path, length: good.count).map(\.bloom.words)
        let sectionStart = try #require(Self.storedChunk(in: good, at: 0, length: good.count).filterRange(0)).lowerBound
        var rng = SplitMix64(seed: 11)
        for _ in 0..<300 {
            var bytes = good
            let i = Int.random(in: Int(sectionStart)..<bytes.count, using: &rng)
            bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let metas = try Self.readMeta(path, length: bytes.count)
                #expect(metas.map(\.bloom.words) == expected, "byte \(i) damaged, filters read differently")
            } catch {
                #expect(error is LogStoreError)
            }
            if var chunk = try? Self.storedChunk(in: bytes, at: 0, length: bytes.count) {
                for p in [0, 100, 255] {
                    guard let r = chunk.filterRange(p), r.upperBound <= Int64(bytes.count) else { continue }
                    _ = chunk.fillFilters(partition: p, bytes: Array(bytes[Int(r.lowerBound)..<Int(r.upperBound)]))
                }
            }
        }
    }

    /// Through the store: small blocks, so chunks are partitioned; a line filter finds exactly
    /// the lines holding its literal after a reopen.
    @Test func storeQueriesOverPartitionedChunks() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let config = LogStoreConfig(directory: dir, blockSize: 4096, chunkTargetSize: 400_000)
        let lines = (0..<6000).map { i in "ts=\(i) user=u\(i % 977) trace_id=\(String(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, radix: 16)) msg=request served" }
        let entries = lines.enumerated().map { LogEntry(timestamp: baseTime + Int64($0.offset) * second, line: $0.element) }
        let writer = try LogStore.open(config, logger: testLogger)
        _ = try await writer.append([StreamBatch(labels: labels(["app": "api"]), entries: entries)])
        try await writer.close()
        let store = try LogStore.open(config, logger: testLogger)
        let needle = Array(lines[4321].split(separator: " ")[2].utf8)
        let got = try readAll(store, [eq("app", "api")]).flatMap(\.entries).filter { $0.line.firstRange(of: needle) != nil }
        #expect(got.count == 1)
        let id = try #require(store.streams(tenant: LogStore.defaultTenant, matchers: [eq("app", "api")], from: 0, through: .max).first?.id)
        let blocks = store.blocks(tenant: LogStore.defaultTenant, stream: id, from: 0, through: .max)
        let maybe = blocks.filter { store.mayContain($0, literal: needle, caseInsensitive: false) }
        #expect(blocks.count > 50)
        #expect(maybe.count >= 1 && maybe.count <= 3, "\(maybe.count) of \(blocks.count) blocks may hold the needle")
        try await store.close()
    }
}
