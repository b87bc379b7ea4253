import KansokuCore

/// Where one block sits inside a stored chunk, and what the chunk's meta says about it.
struct BlockMeta: Sendable {
    var offset: Int64          // absolute offset in the segment file
    var length: Int            // compressed bytes, without the trailing CRC
    var entryCount: Int
    var minTime: Int64
    var maxTime: Int64
    var rawSize: Int
    var payloadSize: Int
    var usesDictionary: Bool
    var bloom: TokenBloom
    /// Known to hold no structured metadata (flag bit 2; chunks written before the flag
    /// existed leave it clear, and their blocks count as unknown).
    var withoutMetadata = false
}

/// Byte layout of a chunk in a segment file (see FORMAT.md):
/// header, blocks (each followed by its CRC32C), meta section with its CRC32C, footer.
enum ChunkFormat {
    static let magic: [UInt8] = Array("KLCK".utf8)
    static let footerMagic: [UInt8] = Array("KLCE".utf8)
    static let version: UInt8 = 1
    static let codecZstd: UInt8 = 1
    static let headerSize = 14
    static let footerSize = 12

    /// Serializes a chunk of one stream.
    static func encode(stream: UInt64, blocks: [EncodedBlock]) -> [UInt8] {
        let partitioned = FilterPartitions.applies(to: blocks.map(\.bloom))
        let blooms = blocks.map { partitioned ? FilterPartitions.storable($0.bloom) : $0.bloom }
        var w = ByteWriter(capacity: blocks.reduce(64) { $0 + $1.compressed.count + $1.bloom.byteSize + 48 } + (partitioned ? 2048 : 0))
        w.writeBytes(magic)
        w.writeU8(version)
        w.writeU8(codecZstd)
        w.writeU64(stream)
        var offsets: [Int] = []
        for b in blocks {
            offsets.append(w.count)
            w.writeBytes(b.compressed)
            w.writeU32(b.crc)
        }
        let filterOffset = w.count
        if partitioned { w.writeBytes(FilterPartitions.encode(blooms)) }
        let metaStart = w.count
        w.writeUVarint(UInt64(blocks.count))
        for ((b, bloom), off) in zip(zip(blocks, blooms), offsets) {
            w.writeUVarint(UInt64(off))
            w.writeUVarint(UInt64(b.compressed.count))
            w.writeUVarint(UInt64(b.entryCount))
            w.writeVarint(b.minTime)
            w.writeUVarint(UInt64(bitPattern: b.maxTime &- b.minTime))
            w.writeUVarint(UInt64(b.rawSize))
            w.writeUVarint(UInt64(b.payloadSize))
            w.writeU8((b.usesDictionary ? 1 : 0) | (bloom.keying == .blockOffsets ? 2 : 0) | (b.withoutMetadata ? 4 : 0)
                      | (partitioned ? 8 : 0))
            w.writeUVarint(UInt64(bloom.words.count))
            if !partitioned { for word in bloom.words { w.writeU64(word) } }
        }
        if partitioned { w.writeUVarint(UInt64(filterOffset)) }
        let metaLength = w.count - metaStart
        let crc = w.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[metaStart...])) }
        w.writeU32(crc)
        w.writeU32(UInt32(metaStart))
        w.writeU32(UInt32(metaLength))
        w.writeBytes(footerMagic)
        return w.bytes
    }

    /// Reads the block metas of the chunk at `offset` (`length` bytes) of an open file, its
    /// partitioned filters included.
    static func readMeta(fd: Int32, path: String, offset: Int64, length: Int) throws(LogStoreError) -> [BlockMeta] {
        let parsed = try readParsedMeta(fd: fd, path: path, offset: offset, length: length)
        guard let filters = parsed.filters else { return parsed.blocks }
        let section: [UInt8]
        do throws(FileIOError) { section = try FileIO.pread(fd, count: filters.sectionSize, at: filters.offset, path: path) } catch { throw .io(error) }
        var blocks = parsed.blocks
        let complete = section.withUnsafeBytes { raw in
            (0..<FilterPartitions.count).allSatisfy { p in
                filters.fill(&blocks, partition: p, bytes: UnsafeRawBufferPointer(rebasing: raw[(p * filters.stride)..<((p + 1) * filters.stride)]))
            }
        }
        guard complete else { throw .checksumMismatch(file: path, offset: filters.offset) }
        for i in blocks.indices { blocks[i].bloom.known = nil }
        return blocks
    }

    /// Where the chunk's partitioned filters lie (nil when its filters are inline).
    static func readFilterLayout(fd: Int32, path: String, offset: Int64, length: Int) throws(LogStoreError) -> FilterPartitions? {
        try readParsedMeta(fd: fd, path: path, offset: offset, length: length).filters
    }

    /// The chunk's footer, then its meta section, parsed (partitioned filters still blank).
    private static func readParsedMeta(fd: Int32, path: String, offset: Int64, length: Int) throws(LogStoreError)
        -> (blocks: [BlockMeta], filters: FilterPartitions?) {
        guard length >= headerSize + footerSize + 4 else {
            throw .corrupt(file: path, offset: offset, reason: "chunk of \(length) bytes is too short")
        }
        let footer: [UInt8]
        do throws(FileIOError) { footer = try FileIO.pread(fd, count: footerSize, at: offset + Int64(length - footerSize), path: path) } catch { throw .io(error) }
        let (metaStart, metaLength) = try metaSection(footer: footer, path: path, offset: offset, length: length)
        let meta: [UInt8]
        do throws(FileIOError) { meta = try FileIO.pread(fd, count: metaLength + 4, at: offset + Int64(metaStart), path: path) } catch { throw .io(error) }
        return try parseMeta(meta, metaStart: metaStart, path: path, offset: offset)
    }

    /// Where the meta section lies, from the chunk start, as the chunk's last `footerSize`
    /// bytes say (its length excludes the CRC that follows it).
    static func metaSection(footer: [UInt8], path: String, offset: Int64, length: Int) throws(LogStoreError) -> (start: Int, length: Int) {
        guard length >= headerSize + footerSize + 4 else {
            throw .corrupt(file: path, offset: offset, reason: "chunk of \(length) bytes is too short")
        }
        guard footer.count == footerSize, Array(footer[8..<12]) == footerMagic else {
            throw .corrupt(file: path, offset: offset, reason: "chunk footer magic not found")
        }
        let (metaStart, metaLength) = footer.withUnsafeBytes {
            (Int($0.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian),
             Int($0.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian))
        }
        guard metaStart >= headerSize, metaStart + metaLength + 4 + footerSize == length else {
            throw .corrupt(file: path, offset: offset, reason: "chunk meta section out of bounds")
        }
        return (metaStart, metaLength)
    }

    /// Parses a chunk's meta section followed by its CRC (`meta`), verifying the CRC; block
    /// offsets come out absolute (`offset` is the chunk's in its file). Filters stored
    /// partitioned come out blank, no partition known, with where their section lies.
    static func parseMeta(_ meta: [UInt8], metaStart: Int, path: String, offset: Int64) throws(LogStoreError)
        -> (blocks: [BlockMeta], filters: FilterPartitions?) {
        let metaOffset = offset + Int64(metaStart)
        guard meta.count >= 4 else { throw .corrupt(file: path, offset: metaOffset, reason: "chunk meta truncated") }
        let metaLength = meta.count - 4
        let parsed: Result<(blocks: [BlockMeta], filters: FilterPartitions?), LogStoreError> = meta.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<metaLength])
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: metaLength, as: UInt32.self))
            guard CRC32C.checksum(body) == stored else { return .failure(.checksumMismatch(file: path, offset: metaOffset)) }
            var r = ByteReader(body)
            do throws(ByteReadError) {
                let n = try r.readUVarint()
                guard n <= UInt64(metaLength) else { return .failure(.corrupt(file: path, offset: metaOffset, reason: "block count \(n)")) }
                var metas: [BlockMeta] = []
                var partitioned = 0, partitionedWords: UInt64 = 0, blocksEnd: UInt64 = 0
                for _ in 0..<n {
                    let off = try r.readUVarint(), len = try r.readUVarint(), count = try r.readUVarint()
                    let minT = try r.readVarint()
                    let span = try r.readUVarint()
                    let raw = try r.readUVarint(), payload = try r.readUVarint()
                    let flags = try r.readU8()
                    let words = try r.readUVarint()
                    let inline = flags & 8 == 0
                    guard inline ? words <= UInt64(r.remaining / 8) : words % 4 == 0 && partitionedWords + words <= UInt64(metaStart / 8),
                          off + len + 4 <= UInt64(metaStart), off >= UInt64(headerSize),
                          payload <= 1 << 34, raw <= payload, count <= payload else {
                        return .failure(.corrupt(file: path, offset: metaOffset, reason: "block meta out of range"))
                    }
                    var bloom = [UInt64]()
                    if inline {
                        bloom.reserveCapacity(Int(words))
                        for _ in 0..<words { bloom.append(try r.readU64()) }
                    } else {
                        bloom = [UInt64](repeating: 0, count: Int(words))
                        partitioned += 1
                        partitionedWords += words
                    }
                    blocksEnd = max(blocksEnd, off + len + 4)
                    metas.append(BlockMeta(offset: offset + Int64(off), length: Int(len), entryCount: Int(count),
                                           minTime: minT, maxTime: minT &+ Int64(bitPattern: span), rawSize: Int(raw),
                                           payloadSize: Int(payload), usesDictionary: flags & 1 != 0,
                                           bloom: TokenBloom(words: bloom, keying: flags & 2 != 0 ? .blockOffsets : .tokenOffsets,
                                                             known: inline ? nil : PartitionMask.none),
                                           withoutMetadata: flags & 4 != 0))
                }
                guard partitioned > 0 else { return .success((metas, nil)) }
                let start = try r.readUVarint()
                let filters = FilterPartitions(offset: offset + Int64(start), blockWords: metas.map(\.bloom.words.count))
                guard partitioned == metas.count, start >= blocksEnd, start + UInt64(filters.sectionSize) == UInt64(metaStart) else {
                    return .failure(.corrupt(file: path, offset: metaOffset, reason: "partitioned filters out of range"))
                }
                return .success((metas, filters))
            } catch {
                return .failure(.corrupt(file: path, offset: metaOffset, reason: "\(error)"))
            }
        }
        return try parsed.get()
    }
}
