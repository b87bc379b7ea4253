import KansokuCore

/// Compaction's output side: entries in time order go into a head that is cut every
/// `blockSize` raw bytes, and the encoded blocks into chunks of up to `chunkTargetSize`,
/// each chunk compressed against its first block (its prefix), as ingestion writes them.
struct ChunkRewriter {
    let codec: BlockCodec
    let blockSize: Int
    let chunkTargetSize: Int
    private var head = HeadBlock()
    private var prefix: ChunkPrefix?
    private var hint = 0
    private var current: [EncodedBlock] = []
    private var size = 0
    private var chunks: [[EncodedBlock]] = []

    init(codec: BlockCodec, blockSize: Int, chunkTargetSize: Int) {
        self.codec = codec
        self.blockSize = blockSize
        self.chunkTargetSize = chunkTargetSize
    }

    mutating func append(_ t: Int64, _ line: UnsafeRawBufferPointer, _ metadata: Labels) throws(LogStoreError) {
        head.append(timestamp: t, line: line, metadata: metadata)
        if head.rawSize >= blockSize { try seal() }
    }

    /// The chunks, the last one cut from what is left.
    mutating func finish() throws(LogStoreError) -> [[EncodedBlock]] {
        try seal()
        if !current.isEmpty { chunks.append(current) }
        current = []
        return chunks
    }

    private mutating func seal() throws(LogStoreError) {
        guard !head.isEmpty else { return }
        let block = head.cut()
        guard let encoded = codec.encode(block, prefix: prefix, filterHint: hint) else {
            throw .corrupt(file: "compaction", offset: 0, reason: "zstd failed to compress a block")
        }
        if prefix == nil { prefix = ChunkPrefix(block) }
        hint = encoded.distinctGrams
        current.append(encoded.block)
        size += encoded.block.compressed.count + encoded.block.bloom.byteSize
        if size >= chunkTargetSize {
            chunks.append(current)
            current = []
            size = 0
            prefix = nil
        }
    }
}
