import KansokuCore
import Synchronization

/// Encodings a stored chunk may carry (the byte before its data, FORMAT.md).
enum ChunkEncoding {
    static let xor: UInt8 = 1
    static let decimalDelta: UInt8 = DecimalDeltaChunk.encoding

    /// Appends the samples of `data` with `from <= t <= through`; false when the encoding is
    /// unknown or the data malformed.
    @discardableResult
    static func decode(_ encoding: UInt8, _ data: UnsafeRawBufferPointer, from: Int64 = .min, through: Int64 = .max,
                       into out: inout [Sample]) -> Bool {
        switch encoding {
        case xor:
            var it = XORIterator(data)
            while let s = it.next() {
                if s.t > through { break }
                if s.t >= from { out.append(s) }
            }
            return !it.failed
        case decimalDelta:
            return DecimalDeltaChunk.decode(data, from: from, through: through, into: &out)
        default:
            return false
        }
    }

    /// Both encodings start with the sample count as u16 BE.
    static func sampleCount(_ data: [UInt8]) -> Int { data.count >= 2 ? Int(data[0]) << 8 | Int(data[1]) : 0 }
}

/// Where a chunk lives. Version 1 segments address a chunk record by byte offset (the
/// Prometheus layout); version 2 segments by frame number and slot within the frame:
/// `segment << 32 | frame << 12 | slot`.
enum ChunkAddress {
    static let slotBits = 12
    static let maxSlots = 1 << slotBits
    static let maxFrames = 1 << (32 - slotBits)

    static func framed(segment: Int, frame: Int, slot: Int) -> UInt64 {
        UInt64(segment) << 32 | UInt64(frame) << UInt64(slotBits) | UInt64(slot)
    }
}

/// A frame of a version 2 segment, decompressed: `count uvarint, count × (encoding u8,
/// len uvarint, data)`, with where each slot's data starts.
final class DecodedFrame: Sendable {
    struct Slot {
        var encoding: UInt8
        var start: Int
        var count: Int
    }

    let bytes: [UInt8]
    let slots: [Slot]

    init?(_ bytes: [UInt8]) {
        self.bytes = bytes
        var slots: [Slot] = []
        let ok: Bool = bytes.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            do throws(ByteReadError) {
                let n = Int(try r.readUVarint())
                guard n <= ChunkAddress.maxSlots else { return false }
                slots.reserveCapacity(n)
                for _ in 0..<n {
                    let e = try r.readU8()
                    let len = Int(try r.readUVarint())
                    let start = r.offset
                    _ = try r.readSlice(len)
                    slots.append(Slot(encoding: e, start: start, count: len))
                }
                return r.offset == buf.count
            } catch {
                return false
            }
        }
        guard ok else { return nil }
        self.slots = slots
    }
}

/// One `chunks/NNNNNN` file of a block, mapped; for version 2 its frame table is read at open.
final class ChunkSegment: @unchecked Sendable {
    struct Frame {
        var offset: Int
        var size: Int
        var rawSize: Int
        var crc: UInt32
    }

    static let tableMagic: UInt32 = 0x4B53_4654  // "KSFT"
    static let footerSize = 16
    static let frameEntrySize = 16
    /// Frames decompress to at most this (the writer closes a frame well before).
    static let maxRawFrame = 16 << 20

    let file: MappedFile
    let version: UInt8
    let frames: [Frame]

    var path: String { file.path }

    init(_ file: MappedFile) throws(MetricStoreError) {
        self.file = file
        let buf = file.bytes
        func bad(_ why: String) -> MetricStoreError { .corrupted(path: file.path, reason: why) }
        guard buf.count >= 8, UInt32(bigEndian: buf.loadUnaligned(as: UInt32.self)) == BlockWriter.chunksMagic else {
            throw bad("bad chunk segment magic")
        }
        version = buf[4]
        switch version {
        case 1:
            frames = []
        case 2:
            let end = buf.count
            guard end >= 8 + ChunkSegment.footerSize,
                  UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: end - 4, as: UInt32.self)) == ChunkSegment.tableMagic
            else { throw bad("frame table footer missing") }
            let tableOffset = Int(UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: end - 16, as: UInt32.self)))
            let count = Int(UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: end - 12, as: UInt32.self)))
            let crc = UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: end - 8, as: UInt32.self))
            let tableEnd = tableOffset + count * ChunkSegment.frameEntrySize
            guard tableOffset >= 8, count <= ChunkAddress.maxFrames, tableEnd == end - ChunkSegment.footerSize else {
                throw bad("frame table out of range")
            }
            let table = UnsafeRawBufferPointer(rebasing: buf[tableOffset..<tableEnd])
            guard CRC32C.checksum(table) == crc else { throw bad("frame table fails its CRC") }
            var frames: [Frame] = []
            frames.reserveCapacity(count)
            for i in 0..<count {
                func u32(_ k: Int) -> Int {
                    Int(UInt32(littleEndian: table.loadUnaligned(fromByteOffset: i * ChunkSegment.frameEntrySize + k * 4, as: UInt32.self)))
                }
                let f = Frame(offset: u32(0), size: u32(1), rawSize: u32(2), crc: UInt32(u32(3)))
                guard f.offset >= 8, f.offset + f.size <= tableOffset, f.rawSize <= ChunkSegment.maxRawFrame else {
                    throw bad("frame \(i) out of range")
                }
                frames.append(f)
            }
            self.frames = frames
        default:
            throw bad("unknown chunk segment version \(version)")
        }
    }

    /// Reads and decompresses frame `i`, checking its CRC.
    func decodeFrame(_ i: Int) throws(MetricStoreError) -> DecodedFrame {
        guard i < frames.count else { throw .corrupted(path: path, reason: "frame \(i) past the frame table") }
        let f = frames[i]
        let compressed = UnsafeRawBufferPointer(rebasing: file.bytes[f.offset..<(f.offset + f.size)])
        guard CRC32C.checksum(compressed) == f.crc else { throw .corrupted(path: path, reason: "frame \(i) fails its CRC") }
        let pooled = ChunkSegment.decompressors.withLock { $0.popLast() } ?? PooledDecompressor()
        guard let pooled else { throw .corrupted(path: path, reason: "no zstd context for frame \(i)") }
        defer { ChunkSegment.decompressors.withLock { if $0.count < 8 { $0.append(pooled) } } }
        guard let raw = pooled.zstd.decompress(compressed, size: f.rawSize), let frame = DecodedFrame(raw) else {
            throw .corrupted(path: path, reason: "frame \(i) does not decompress")
        }
        return frame
    }

    private static let decompressors = Mutex<[PooledDecompressor]>([])
}

/// A zstd context handed to one thread at a time.
private final class PooledDecompressor: @unchecked Sendable {
    let zstd: ZstdDecompressor

    init?() {
        guard let z = ZstdDecompressor() else { return nil }
        zstd = z
    }
}

/// The last frames a block decompressed: a query walks series in index order, and the
/// chunks of neighbouring series share frames, so each frame is decompressed about once.
struct FrameCache {
    private var keys: [UInt64] = []
    private var frames: [DecodedFrame] = []
    private var next = 0
    static let capacity = 8

    func lookup(_ key: UInt64) -> DecodedFrame? {
        keys.firstIndex(of: key).map { frames[$0] }
    }

    mutating func insert(_ key: UInt64, _ frame: DecodedFrame) {
        if keys.count < FrameCache.capacity {
            keys.append(key)
            frames.append(frame)
            return
        }
        keys[next] = key
        frames[next] = frame
        next = (next + 1) % FrameCache.capacity
    }
}
