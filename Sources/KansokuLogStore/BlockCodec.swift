import KansokuCore
import Synchronization

/// A compressed block with everything its chunk's meta section records about it.
struct EncodedBlock: Sendable {
    var compressed: [UInt8]
    /// CRC32C of `compressed`.
    var crc: UInt32
    /// Size of the decompressed payload (lines + columns + trailer).
    var payloadSize: Int
    var entryCount: Int
    var minTime: Int64
    var maxTime: Int64
    var rawSize: Int
    /// Whether the block was compressed with its chunk's first block as dictionary.
    var usesDictionary: Bool
    var bloom: TokenBloom
    /// No entry of the block has structured metadata.
    var withoutMetadata: Bool
}

/// Block payload, before compression (see FORMAT.md):
/// `line bytes | count, first ts, ts deltas, line lengths, metadata | u32 columns length`.
/// Lines come first so decoding can keep the decompressed buffer as the line buffer.
enum BlockPayload {
    static func encode(_ block: DecodedBlock, into w: inout ByteWriter) {
        w.bytes.removeAll(keepingCapacity: true)
        w.bytes.reserveCapacity(block.rawSize + block.count * 12 + 16)
        w.writeBytes(block.lineBytes)
        let columnsStart = w.count
        w.writeUVarint(UInt64(block.count))
        var prev: Int64 = 0
        for (i, t) in block.timestamps.enumerated() {
            if i == 0 { w.writeVarint(t) } else { w.writeUVarint(UInt64(bitPattern: t &- prev)) }
            prev = t
        }
        for i in 0..<block.count { w.writeUVarint(UInt64(block.lineStarts[i + 1] - block.lineStarts[i])) }
        if block.metadata.isEmpty {
            w.writeU8(0)
        } else {
            w.writeU8(1)
            for md in block.metadata {
                w.writeUVarint(UInt64(md.count))
                for l in md { w.writeString(l.name); w.writeString(l.value) }
            }
        }
        w.writeU32(UInt32(w.count - columnsStart))
    }

    /// Parses a decompressed payload; the decoded block keeps the payload's storage as its
    /// line buffer.
    static func decode(_ payload: consuming [UInt8]) -> Result<DecodedBlock, PayloadError> {
        var ts = [Int64](), starts = [Int](), md = [Labels]()
        let parsed = payload.withUnsafeBytes { parseColumns($0, timestamps: &ts, starts: &starts, metadata: &md) }
        switch parsed {
        case .failure(let e): return .failure(e)
        case .success(let linesEnd):
            var lines = payload
            lines.removeLast(lines.count - linesEnd)
            return .success(DecodedBlock(timestamps: ts, lineStarts: starts, lineBytes: lines, metadata: md))
        }
    }

    /// Parses the columns at the end of `payload` into the given arrays (emptied first, their
    /// capacity kept); the end of the line bytes on success, otherwise what is wrong.
    static func parseColumns(_ raw: UnsafeRawBufferPointer, timestamps ts: inout [Int64], starts: inout [Int],
                             metadata md: inout [Labels]) -> Result<Int, PayloadError> {
        ts.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        md.removeAll(keepingCapacity: true)
        let total = raw.count
        guard total >= 4 else { return .failure(PayloadError("payload shorter than its trailer")) }
        let columnsLength = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: total - 4, as: UInt32.self)))
        guard columnsLength <= total - 4 else { return .failure(PayloadError("columns length \(columnsLength) exceeds payload")) }
        let linesEnd = total - 4 - columnsLength
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[linesEnd..<(total - 4)]))
        do throws(ByteReadError) {
            let count64 = try r.readUVarint()
            guard count64 <= UInt64(columnsLength) else { return .failure(PayloadError("entry count \(count64) too large")) }
            let count = Int(count64)
            ts.reserveCapacity(count)
            starts.reserveCapacity(count + 1)
            var t: Int64 = 0
            for i in 0..<count {
                if i == 0 { t = try r.readVarint() } else { t = t &+ Int64(bitPattern: try r.readUVarint()) }
                ts.append(t)
            }
            var pos = 0
            starts.append(0)
            for _ in 0..<count {
                let n = try r.readUVarint()
                guard n <= UInt64(linesEnd - pos) else { return .failure(PayloadError("line lengths exceed line bytes")) }
                pos += Int(n)
                starts.append(pos)
            }
            guard pos == linesEnd else { return .failure(PayloadError("line lengths do not add up to line bytes")) }
            if try r.readU8() == 1 {
                md.reserveCapacity(count)
                for _ in 0..<count {
                    let n = try r.readUVarint()
                    guard n <= UInt64(r.remaining) else { return .failure(PayloadError("metadata count too large")) }
                    var labels = [Label]()
                    for _ in 0..<n { labels.append(Label(name: try r.readString(), value: try r.readString())) }
                    md.append(Labels(labels))
                }
            }
            return .success(linesEnd)
        } catch {
            return .failure(PayloadError("\(error)"))
        }
    }
}

struct PayloadError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Compresses and decompresses blocks, reusing zstd contexts and filter scratch across calls
/// and threads (a small pool: one context per concurrent user, never more than that).
final class BlockCodec: Sendable {
    let level: Int32
    private let encoders = Mutex<[BlockEncoder]>([])
    private let decoders = Mutex<[BlockDecoder]>([])

    init(level: Int32) { self.level = level }

    func encode(_ block: DecodedBlock, prefix: ChunkPrefix?, filterHint: Int) -> (block: EncodedBlock, distinctGrams: Int)? {
        let encoder = encoders.withLock { $0.popLast() } ?? BlockEncoder(level: level)
        guard let encoder else { return nil }
        defer { encoders.withLock { $0.append(encoder) } }
        return encoder.encode(block, prefix: prefix, filterHint: filterHint)
    }

    /// Decompresses and parses a block (its CRC already verified by the caller);
    /// `prefixPayload` is the payload of the chunk's first block, when the block was
    /// compressed against it.
    func decode(compressed: UnsafeRawBufferPointer, payloadSize: Int, prefixPayload: UnsafeRawBufferPointer?) -> Result<DecodedBlock, PayloadError> {
        let decoder = decoders.withLock { $0.popLast() } ?? BlockDecoder()
        guard let decoder else { return .failure(PayloadError("cannot create a zstd decompression context")) }
        defer { decoders.withLock { $0.append(decoder) } }
        guard let payload = decoder.zstd.decompress(compressed, size: payloadSize, prefix: prefixPayload) else {
            return .failure(PayloadError("zstd could not decompress the block"))
        }
        return BlockPayload.decode(payload)
    }

    /// Decompresses and parses a block into a pooled decoder's reusable buffers and lends it
    /// to `body`: a scan allocates nothing per block (a fresh ~256 KiB buffer per block would
    /// be mapped, zeroed, faulted in and unmapped each time, contending on the process's
    /// memory map with every other thread).
    func withDecoded<R>(compressed: UnsafeRawBufferPointer, payloadSize: Int, prefixPayload: UnsafeRawBufferPointer?,
                        _ body: (BorrowedBlock) -> R) -> Result<R, PayloadError> {
        let decoder = decoders.withLock { $0.popLast() } ?? BlockDecoder()
        guard let decoder else { return .failure(PayloadError("cannot create a zstd decompression context")) }
        defer { decoders.withLock { $0.append(decoder) } }
        return decoder.withDecoded(compressed: compressed, payloadSize: payloadSize, prefixPayload: prefixPayload, body)
    }

    /// Lends a snapshot of a stream's head, sorted into a pooled decoder's reused buffers, to
    /// `body`: queries read every matching stream's head, and a fresh copy of each (up to a
    /// block's size) would be mapped and unmapped per read as decoded blocks were.
    func withHead<R>(_ head: HeadBlock, _ body: (BorrowedBlock) -> R) -> R {
        guard let decoder = decoders.withLock({ $0.popLast() }) ?? BlockDecoder() else { return head.sortedBlock().borrow(body) }
        defer { decoders.withLock { $0.append(decoder) } }
        return decoder.withHead(head, body)
    }

    /// The payload bytes a block was (or would be) compressed from.
    static func payload(of block: DecodedBlock) -> [UInt8] {
        var w = ByteWriter()
        BlockPayload.encode(block, into: &w)
        return w.bytes
    }
}

/// One zstd context plus filter scratch; used by one thread at a time (the pool hands it out).
final class BlockEncoder: @unchecked Sendable {
    let zstd: ZstdCompressor
    let bloomBuilder = TokenBloomBuilder()
    private var payload = ByteWriter()

    init?(level: Int32) {
        guard let z = ZstdCompressor(level: level) else { return nil }
        zstd = z
    }

    func encode(_ block: DecodedBlock, prefix: ChunkPrefix?, filterHint: Int) -> (block: EncodedBlock, distinctGrams: Int)? {
        BlockPayload.encode(block, into: &payload)
        let compressed: [UInt8]? = payload.bytes.withUnsafeBytes { src in
            guard let prefix else { return zstd.compress(src, dictionary: nil) }
            guard let dictionary = prefix.dictionary(level: zstd.level) else { return nil }
            return zstd.compress(src, dictionary: dictionary)
        }
        guard let compressed else { return nil }
        let (bloom, distinct) = block.lineBytes.withUnsafeBytes { bloomBuilder.build($0, hint: filterHint) }
        let encoded = EncodedBlock(compressed: compressed, crc: CRC32C.checksum(compressed), payloadSize: payload.count,
                                   entryCount: block.count, minTime: block.minTime, maxTime: block.maxTime,
                                   rawSize: block.rawSize, usesDictionary: prefix != nil, bloom: bloom,
                                   withoutMetadata: block.metadata.allSatisfy(\.isEmpty))
        return (encoded, distinct)
    }
}

/// One zstd context plus the buffers a block is decoded into; used by one thread at a time
/// (the pool hands it out).
final class BlockDecoder: @unchecked Sendable {
    let zstd: ZstdDecompressor
    private var payload = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var timestamps: [Int64] = []
    private var starts: [Int] = []
    private var metadata: [Labels] = []
    /// Buffers larger than this (a rare oversized block) are let go after use, so an idle
    /// pool holds a few hundred KiB per decoder at most.
    static let keptPayloadBytes = 1 << 20

    init?() {
        guard let z = ZstdDecompressor() else { return nil }
        zstd = z
    }

    deinit { payload.deallocate() }

    func withHead<R>(_ head: HeadBlock, _ body: (BorrowedBlock) -> R) -> R {
        reserve(head.rawSize)
        defer { release() }
        metadata = head.copySorted(into: payload, timestamps: &timestamps, starts: &starts)
        return lend(UnsafeRawBufferPointer(rebasing: payload[0..<head.rawSize]), body)
    }

    private func reserve(_ size: Int) {
        guard payload.count < size else { return }
        payload.deallocate()
        payload = .allocate(byteCount: size, alignment: 16)
    }

    private func release() {
        if payload.count > Self.keptPayloadBytes {
            payload.deallocate()
            payload = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            timestamps = []
            starts = []
        }
        metadata = []
    }

    private func lend<R>(_ lines: UnsafeRawBufferPointer, _ body: (BorrowedBlock) -> R) -> R {
        timestamps.withUnsafeBufferPointer { ts in
            starts.withUnsafeBufferPointer { st in
                body(BorrowedBlock(timestamps: ts, lines: DecodedBlock.LineView(bytes: lines, starts: st), metadata: metadata))
            }
        }
    }

    func withDecoded<R>(compressed: UnsafeRawBufferPointer, payloadSize: Int, prefixPayload: UnsafeRawBufferPointer?,
                        _ body: (BorrowedBlock) -> R) -> Result<R, PayloadError> {
        reserve(payloadSize)
        defer { release() }
        let dst = UnsafeMutableRawBufferPointer(rebasing: payload[0..<payloadSize])
        guard zstd.decompress(compressed, into: dst, prefix: prefixPayload) == payloadSize else {
            return .failure(PayloadError("zstd could not decompress the block"))
        }
        let bytes = UnsafeRawBufferPointer(dst)
        switch BlockPayload.parseColumns(bytes, timestamps: &timestamps, starts: &starts, metadata: &metadata) {
        case .failure(let e):
            return .failure(e)
        case .success(let linesEnd):
            return .success(lend(UnsafeRawBufferPointer(rebasing: bytes[0..<linesEnd]), body))
        }
    }
}
