public import KansokuCore

/// A chunk as a period index names it: the segment file (relative to the store directory,
/// which is also its key below an ingester's prefix in a bucket), its byte range and the
/// time it covers.
public struct StoredChunkRef: Sendable, Hashable {
    public let file: String
    public let offset: Int64
    public let length: Int
    public let minTime: Int64
    public let maxTime: Int64
    public let entries: Int
    public let rawSize: Int

    init(_ ref: ChunkRef) {
        file = ref.file
        offset = ref.offset
        length = ref.length
        minTime = ref.minTime
        maxTime = ref.maxTime
        entries = ref.entries
        rawSize = ref.rawSize
    }

    /// The bytes at the chunk's end that say where its meta section is.
    public var footerRange: Range<Int64> {
        (offset + Int64(length - ChunkFormat.footerSize))..<(offset + Int64(length))
    }

    /// Where the meta section (with its CRC) lies in the file, from the footer's bytes.
    public func metaRange(footer: [UInt8]) throws(LogStoreError) -> Range<Int64> {
        let (start, length) = try ChunkFormat.metaSection(footer: footer, path: file, offset: offset, length: self.length)
        return (offset + Int64(start))..<(offset + Int64(start + length + 4))
    }

    /// The chunk's blocks, from its meta section's bytes (CRC verified).
    public func chunk(meta: [UInt8], metaRange: Range<Int64>) throws(LogStoreError) -> StoredChunk {
        let parsed = try ChunkFormat.parseMeta(meta, metaStart: Int(metaRange.lowerBound - offset), path: file, offset: offset)
        return StoredChunk(metas: parsed.blocks, filters: parsed.filters)
    }
}

/// A stored chunk's blocks as its meta section describes them. When its token filters are
/// stored partitioned, they start blank ("maybe" for every literal) and are filled in from
/// the partitions a query fetches.
public struct StoredChunk: Sendable {
    private var metas: [BlockMeta]
    let filters: FilterPartitions?

    init(metas: [BlockMeta], filters: FilterPartitions?) {
        self.metas = metas
        self.filters = filters
    }

    /// The blocks, with their filters as filled in so far.
    public var blocks: [StoredBlock] {
        metas.enumerated().map { i, m in StoredBlock(meta: m, first: i == 0 ? nil : metas.first) }
    }

    /// Where partition `p` of the chunk's filters lies in its file; nil when they are inline.
    public func filterRange(_ p: Int) -> Range<Int64>? { filters?.range(of: p) }

    /// Fills in partition `p` of the filters from its fetched bytes (`filterRange(p)`);
    /// false, leaving the filters as they were, when they do not check out.
    public mutating func fillFilters(partition p: Int, bytes: [UInt8]) -> Bool {
        guard let filters else { return false }
        return bytes.withUnsafeBytes { filters.fill(&metas, partition: p, bytes: $0) }
    }

    /// Fills in partition `p` from bits already verified (a segment filter index's row slice).
    mutating func fillFilters(partition p: Int, verifiedBits bits: UnsafeRawBufferPointer) -> Bool {
        guard let filters else { return false }
        return filters.copy(into: &metas, partition: p, bits: bits)
    }
}

/// One block of a stored chunk, read by a process that fetches the bytes itself (a querier
/// reading a bucket): what lets it skip the block, and how to decode the bytes it fetched.
public struct StoredBlock: Sendable {
    let meta: BlockMeta
    /// The chunk's first block, when this block was compressed against its payload.
    let prefixBlock: BlockMeta?

    init(meta: BlockMeta, first: BlockMeta?) {
        self.meta = meta
        prefixBlock = meta.usesDictionary ? first : nil
    }

    public var minTime: Int64 { meta.minTime }
    public var maxTime: Int64 { meta.maxTime }
    public var entryCount: Int { meta.entryCount }
    public var rawSize: Int { meta.rawSize }
    public var withoutMetadata: Bool { meta.withoutMetadata }

    /// The block's bytes in its segment file: the zstd frame and its CRC.
    public var range: Range<Int64> { meta.offset..<(meta.offset + Int64(meta.length + 4)) }

    /// The range of the chunk's first block, when decoding this one needs it.
    public var prefixRange: Range<Int64>? { firstBlock?.range }

    /// The chunk's first block, when decoding this one needs its payload.
    public var firstBlock: StoredBlock? { prefixBlock.map { StoredBlock(meta: $0, first: nil) } }

    /// Whether the block may hold `literal` (its token filter); false means it certainly does not.
    public func mayContain(literal: [UInt8], caseInsensitive: Bool) -> Bool {
        literal.withUnsafeBytes { meta.bloom.mayContain($0, caseInsensitive: caseInsensitive) }
    }

    /// Verifies and decodes the block from the bytes of `range`; `prefix` is the payload of the
    /// chunk's first block (`StoredBlock.payload(of:)` of its decoded form) when `prefixRange`
    /// is not nil.
    public func decode(_ framed: [UInt8], prefix: [UInt8]?, file: String) throws(LogStoreError) -> DecodedBlock {
        try withVerified(framed, prefix: prefix, file: file) { body, prefix in
            StoredBlock.codec.decode(compressed: body, payloadSize: meta.payloadSize, prefixPayload: prefix)
        }
    }

    /// `decode`, into reused buffers: lends the block's entries to `body`.
    public func withDecoded<R>(_ framed: [UInt8], prefix: [UInt8]?, file: String, _ body: (BorrowedBlock) -> R) throws(LogStoreError) -> R {
        try withVerified(framed, prefix: prefix, file: file) { compressed, prefix in
            StoredBlock.codec.withDecoded(compressed: compressed, payloadSize: meta.payloadSize, prefixPayload: prefix, body)
        }
    }

    private func withVerified<R>(_ framed: [UInt8], prefix: [UInt8]?, file: String,
                                 _ decode: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) -> Result<R, PayloadError>) throws(LogStoreError) -> R {
        let length = meta.length
        guard framed.count == length + 4 else { throw .corrupt(file: file, offset: meta.offset, reason: "block truncated") }
        guard (prefix != nil) == (prefixBlock != nil) else {
            throw .corrupt(file: file, offset: meta.offset, reason: "the chunk's first block is needed to decode this one")
        }
        let result: Result<R, PayloadError>? = framed.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<length])
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: length, as: UInt32.self))
            guard CRC32C.checksum(body) == stored else { return nil }
            guard let prefix else { return decode(body, nil) }
            return prefix.withUnsafeBytes { decode(body, $0) }
        }
        switch result {
        case .none: throw .checksumMismatch(file: file, offset: meta.offset)
        case .some(.failure(let e)): throw .corrupt(file: file, offset: meta.offset, reason: e.reason)
        case .some(.success(let r)): return r
        }
    }

    /// The payload a chunk's later blocks were compressed against, from its decoded first block.
    public static func payload(of first: DecodedBlock) -> [UInt8] { BlockCodec.payload(of: first) }

    static let codec = BlockCodec(level: 1)
}

/// A period index read from elsewhere than the store's own directory (a bucket): the same
/// postings and chunk refs a store answers selectors with.
public struct StoredPeriodIndex: Sendable {
    let index: PeriodIndex

    /// Decodes and verifies an index file's bytes; `name` appears in errors.
    public init(decoding bytes: [UInt8], name: String) throws(LogStoreError) {
        index = try IndexFile.decode(bytes, path: name)
    }

    /// The period's start, unix ns.
    public var start: Int64 { index.start }

    /// `tenant`'s streams matching every matcher with data in `[from, through]`, each with its
    /// chunks overlapping that range.
    public func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [(id: UInt64, labels: Labels, chunks: [StoredChunkRef])] {
        index.matching(tenant: tenant, matchers).compactMap { id in
            guard let s = index.streams[id], s.minTime <= through, s.maxTime >= from else { return nil }
            let chunks = s.chunks.filter { $0.minTime <= through && $0.maxTime >= from }.map(StoredChunkRef.init)
            return (id, s.labels, chunks)
        }
    }

    /// Label names of `tenant`'s streams with data in `[from, through]`, added to `names`.
    public func labelNames(tenant: String, from: Int64, through: Int64, into names: inout Set<String>) {
        index.labelNames(tenant: tenant, from: from, through: through, into: &names)
    }

    /// Values of `name` over `tenant`'s streams matching `matchers` with data in `[from, through]`.
    public func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64, into values: inout [String]) {
        index.labelValues(tenant: tenant, name: name, matchers: matchers, from: from, through: through, into: &values)
    }
}
