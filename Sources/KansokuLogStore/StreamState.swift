import KansokuCore

/// A block of the open chunk: waiting for compression, or compressed.
enum BlockSlot: Sendable {
    case pending(DecodedBlock)
    case encoded(EncodedBlock)
}

/// The chunk a stream is filling: its blocks (in cut order) and the prefix its later blocks
/// are compressed with (its first block).
struct OpenChunk: Sendable {
    var generation: UInt64
    var slots: [BlockSlot] = []
    var prefix: ChunkPrefix?
    var compressedSize = 0
    /// Set when the chunk must close as soon as its blocks are compressed (age, shutdown).
    var forceClose = false
    /// Wall-clock ns when its first entry arrived.
    var createdAt: Int64
    /// Oldest WAL segment holding entries of this chunk.
    var walSegment: Int?
    /// Newest WAL record whose entries are in this chunk's blocks.
    var walMark: WALMark?

    var isEmpty: Bool { slots.isEmpty }
    var allEncoded: Bool {
        slots.allSatisfy { if case .encoded = $0 { return true } else { return false } }
    }
}

/// A chunk closed and queued for writing to a segment file.
struct ClosedChunk: Sendable {
    var stream: UInt64
    var generation: UInt64
    var blocks: [EncodedBlock]
    /// The chunk's first block's payload, which its later blocks decode against.
    var prefix: ChunkPrefix?
    var walSegment: Int?
    var walMark: WALMark?
}

/// Everything the store holds in memory for one stream.
struct StreamState: Sendable {
    let id: UInt64
    let tenant: String
    let labels: Labels
    var head = HeadBlock()
    /// The period the head's entries belong to (blocks never span periods).
    var headPeriod: Int64?
    var headWALSegment: Int?
    var chunk: OpenChunk
    var closing: [ClosedChunk] = []
    /// Highest timestamp accepted: the out-of-order window is measured from it.
    var highestTime = Int64.min
    /// The newest WAL record applied to this stream.
    var lastMark: WALMark?
    /// Distinct grams in the stream's last encoded block (0 before the first).
    var filterHint = 0

    /// Oldest WAL segment this stream still needs (data not yet in flushed chunks).
    var oldestNeededSegment: Int? {
        var m = headWALSegment
        if let s = chunk.walSegment { m = min(m ?? s, s) }
        for c in closing { if let s = c.walSegment { m = min(m ?? s, s) } }
        return m
    }
}

/// Work to do outside the lock after cutting a head: compress one block into its slot.
struct CutJob: Sendable {
    var stream: UInt64
    var generation: UInt64
    var slot: Int
    var block: DecodedBlock
    /// The chunk's first block, when this block is a later one and is compressed with it.
    var prefix: ChunkPrefix?
    /// Distinct grams of the stream's previous block: sizes this block's filter in one pass.
    var filterHint: Int
}
