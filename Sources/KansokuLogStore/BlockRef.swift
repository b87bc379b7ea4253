/// A block of one stream that a reader may decode: stored in a segment file, held in memory
/// after a cut, or a snapshot of the head. Carries what lets a reader skip it undecoded.
public struct BlockRef: Sendable {
    public var stream: UInt64
    /// Oldest and newest entry timestamps, unix ns.
    public var minTime: Int64
    public var maxTime: Int64
    public var entryCount: Int
    /// Sum of line bytes before compression.
    public var rawSize: Int
    /// Where the bytes are; readers pass the ref back to `LogStore.readBlock`.
    var source: BlockSource
    /// Token filter of the block; nil for a head snapshot (always "maybe").
    var bloom: TokenBloom?
    /// Known to hold no structured metadata: then every entry's series is the stream's, and
    /// `entryCount` and `rawSize` answer counts over the block without decoding it.
    public var withoutMetadata = false

    /// Bytes of the block's token filter (0 for a head snapshot).
    public var filterSize: Int { bloom?.byteSize ?? 0 }

    /// Whether the block is a snapshot of a stream's uncompressed head.
    public var isHead: Bool {
        switch source {
        case .head, .live: return true
        case .disk, .memory: return false
        }
    }

    /// Where the block lives, for messages and stats: `file@offset` or `memory`/`head`.
    public var location: String {
        switch source {
        case let .disk(loc, _, _, _): return "\(loc.file)@\(loc.offset)"
        case .memory: return "memory"
        case .head, .live: return "head"
        }
    }
}

/// How to get a block's bytes.
enum BlockSource: Sendable {
    /// Compressed block in a segment file. `dictionary` is the chunk's first block, whose raw
    /// content is the zstd dictionary of the chunk's later blocks (nil for that first block).
    case disk(DiskBlockLocation, payloadSize: Int, dictionary: DiskBlockLocation?, dictionaryPayload: Int)
    /// A compressed block of a chunk not yet written; `prefix` is the chunk's first block's
    /// payload, when the block decodes against it.
    case memory(EncodedBlock, prefix: ChunkPrefix?)
    /// Uncompressed entries, already in timestamp order.
    case head(DecodedBlock)
    /// A snapshot of a stream's head (sorted only if it is read: counts come from the ref).
    case live(HeadBlock)
}

/// The place of a stored block: file, offset and length of its framed bytes.
struct DiskBlockLocation: Sendable, Hashable {
    var file: String
    var offset: Int64
    var length: Int
}
