import KansokuCore

/// Gathers chunk records into frames of a version 2 chunk segment and compresses each whole
/// (FORMAT.md): zstd finds what repeats across the chunks of neighbouring series (label-less,
/// but the same intervals, deltas and exponents), which no per-chunk encoding can.
struct ChunkFrameBuilder {
    /// Uncompressed bytes at which a frame is closed: big enough for zstd to find repeats,
    /// small enough that reading one series decompresses little besides it.
    static let targetRawBytes = 64 << 10
    static let level: Int32 = 9
    static let tuning = ZstdTuning(hashLog: 16, chainLog: 16, minMatch: 4)

    private var records = ByteWriter(capacity: targetRawBytes + 8 << 10)
    private(set) var slots = 0
    private var table = ByteWriter()
    private(set) var frameCount = 0

    var isEmpty: Bool { slots == 0 }
    var isFull: Bool { records.count >= ChunkFrameBuilder.targetRawBytes || slots == ChunkAddress.maxSlots }
    var hasRoomForFrame: Bool { frameCount + 1 < ChunkAddress.maxFrames }
    /// Bytes the frame table and footer will take once the open frame is closed.
    var trailerSize: Int { (frameCount + 1) * ChunkSegment.frameEntrySize + ChunkSegment.footerSize }
    /// What a closed frame can take at most.
    static let maxFrameSize = 2 * targetRawBytes + (64 << 10)

    /// Adds a chunk record to the open frame; returns its slot.
    mutating func add(encoding: UInt8, _ data: [UInt8]) -> Int {
        records.writeU8(encoding)
        records.writeUVarint(UInt64(data.count))
        records.writeBytes(data)
        slots += 1
        return slots - 1
    }

    /// Compresses the open frame, to be written at `offset` of the segment; records its
    /// table entry and starts a new frame.
    mutating func close(at offset: Int, with zstd: ZstdCompressor) -> [UInt8]? {
        var raw = ByteWriter(capacity: records.count + 4)
        raw.writeUVarint(UInt64(slots))
        raw.writeBytes(records.bytes)
        guard let compressed = raw.bytes.withUnsafeBytes({ zstd.compress($0) }) else { return nil }
        table.writeU32(UInt32(offset))
        table.writeU32(UInt32(compressed.count))
        table.writeU32(UInt32(raw.count))
        table.writeU32(CRC32C.checksum(compressed))
        frameCount += 1
        records.bytes.removeAll(keepingCapacity: true)
        slots = 0
        return compressed
    }

    /// The frame table and footer of the segment, written at `offset`; starts a new segment.
    mutating func trailer(at offset: Int) -> [UInt8] {
        var w = ByteWriter(capacity: table.count + ChunkSegment.footerSize)
        w.writeBytes(table.bytes)
        w.writeU32(UInt32(offset))
        w.writeU32(UInt32(frameCount))
        w.writeU32(CRC32C.checksum(table.bytes))
        w.writeU32(ChunkSegment.tableMagic)
        table.bytes.removeAll()
        frameCount = 0
        return w.bytes
    }
}
