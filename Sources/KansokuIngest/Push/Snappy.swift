/// Why a snappy block could not be decompressed.
public enum SnappyError: Error, Sendable, Hashable, CustomStringConvertible {
    case badLengthHeader
    case tooLarge(length: Int, limit: Int)
    case truncated(offset: Int)
    case badCopyOffset(offset: Int, distance: Int)
    case lengthMismatch(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .badLengthHeader: return "snappy: malformed uncompressed-length header"
        case .tooLarge(let n, let limit): return "snappy: uncompressed length \(n) exceeds the limit of \(limit) bytes"
        case .truncated(let o): return "snappy: input truncated at byte \(o)"
        case .badCopyOffset(let o, let d): return "snappy: copy at byte \(o) reaches \(d) bytes back, before the start of the output"
        case .lengthMismatch(let e, let g): return "snappy: header says \(e) bytes but the data decodes to \(g)"
        }
    }
}

/// Snappy's *block* format (not the framed stream format), as Loki push clients send it.
///
/// Written here rather than taken from a package: the format is one page long, the decoder is
/// the hot half of every protobuf push, and owning it lets us bound memory from the length
/// header before allocating and validate every copy strictly.
public enum Snappy {
    /// Decompresses a block. `limit` caps the declared uncompressed size so a tiny hostile
    /// body cannot make the server allocate gigabytes.
    public static func decompress(_ input: UnsafeRawBufferPointer, limit: Int = 256 << 20) throws(SnappyError) -> [UInt8] {
        var pos = 0
        var length: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < input.count, shift < 35 else { throw .badLengthHeader }
            let b = input[pos]
            pos += 1
            length |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        guard length <= UInt64(UInt32.max) else { throw .badLengthHeader }
        let n = Int(length)
        guard n <= limit else { throw .tooLarge(length: n, limit: limit) }

        var out = [UInt8](repeating: 0, count: n)
        let written: Result<Int, SnappyError> = out.withUnsafeMutableBufferPointer { dst in
            Result { () throws(SnappyError) -> Int in try decodeElements(input, from: pos, into: dst) }
        }
        let d = try written.get()
        guard d == n else { throw .lengthMismatch(expected: n, got: d) }
        return out
    }

    /// Decodes literal and copy elements from `input[pos...]` into `dst`; returns the bytes written.
    private static func decodeElements(_ input: UnsafeRawBufferPointer, from start: Int,
                                       into dst: UnsafeMutableBufferPointer<UInt8>) throws(SnappyError) -> Int {
        let n = dst.count
        var pos = start
        var d = 0
        while pos < input.count {
            let tagOffset = pos
            let tag = input[pos]
            pos += 1
            var len: Int
            var distance: Int
            switch tag & 3 {
            case 0:  // literal
                len = Int(tag >> 2)
                if len >= 60 {
                    let extra = len - 59
                    guard pos + extra <= input.count else { throw .truncated(offset: pos) }
                    len = 0
                    for k in 0..<extra { len |= Int(input[pos + k]) << (8 * k) }
                    pos += extra
                }
                len += 1
                guard pos + len <= input.count else { throw .truncated(offset: pos) }
                guard d + len <= n else { throw .lengthMismatch(expected: n, got: d + len) }
                UnsafeMutableRawPointer(dst.baseAddress! + d).copyMemory(from: input.baseAddress! + pos, byteCount: len)
                pos += len
                d += len
                continue
            case 1:
                guard pos < input.count else { throw .truncated(offset: pos) }
                len = 4 + Int((tag >> 2) & 7)
                distance = Int(tag >> 5) << 8 | Int(input[pos])
                pos += 1
            case 2:
                guard pos + 2 <= input.count else { throw .truncated(offset: pos) }
                len = 1 + Int(tag >> 2)
                distance = Int(input[pos]) | Int(input[pos + 1]) << 8
                pos += 2
            default:
                guard pos + 4 <= input.count else { throw .truncated(offset: pos) }
                len = 1 + Int(tag >> 2)
                distance = Int(input[pos]) | Int(input[pos + 1]) << 8 | Int(input[pos + 2]) << 16
                    | Int(input[pos + 3]) << 24
                pos += 4
            }
            guard distance > 0, distance <= d else { throw .badCopyOffset(offset: tagOffset, distance: distance) }
            guard d + len <= n else { throw .lengthMismatch(expected: n, got: d + len) }
            if distance >= len {
                UnsafeMutableRawPointer(dst.baseAddress! + d)
                    .copyMemory(from: dst.baseAddress! + (d - distance), byteCount: len)
                d += len
            } else {
                // Overlapping copy: a run that repeats the last `distance` bytes.
                for _ in 0..<len {
                    dst[d] = dst[d - distance]
                    d += 1
                }
            }
        }
        return d
    }

    public static func decompress(_ input: [UInt8], limit: Int = 256 << 20) throws(SnappyError) -> [UInt8] {
        try input.withBytes { (b) throws(SnappyError) in try decompress(b, limit: limit) }
    }

    /// Compresses into the block format: greedy matching with a hash table of 4-byte
    /// sequences over 64 KiB windows, as the reference encoder does. Used by tests and by
    /// clients that push to Loki-compatible servers.
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 + input.count + input.count / 6)
        var v = UInt64(input.count)
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        input.withUnsafeBytes { src in
            var blockStart = 0
            var table = [Int32](repeating: -1, count: 1 << 14)
            while blockStart < src.count {
                let blockEnd = min(src.count, blockStart + 65536)
                for k in table.indices { table[k] = -1 }
                compressBlock(src, blockStart, blockEnd, &table, &out)
                blockStart = blockEnd
            }
        }
        return out
    }

    private static func load32(_ p: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        p.loadUnaligned(fromByteOffset: i, as: UInt32.self)
    }

    private static func compressBlock(_ src: UnsafeRawBufferPointer, _ start: Int, _ end: Int,
                                      _ table: inout [Int32], _ out: inout [UInt8]) {
        var literalStart = start
        var i = start
        if end - start >= 16 {
            let limit = end - 4
            while i <= limit {
                let word = load32(src, i)
                let h = Int((word &* 0x1E35_A7BD) >> 18)
                let candidate = Int(table[h])
                table[h] = Int32(i - start)
                if candidate >= 0, load32(src, start + candidate) == word {
                    let matchStart = start + candidate
                    var len = 4
                    while i + len < end, src[matchStart + len] == src[i + len] { len += 1 }
                    emitLiteral(src, literalStart, i, &out)
                    emitCopy(distance: i - matchStart, length: len, &out)
                    i += len
                    literalStart = i
                } else {
                    i += 1
                }
            }
        }
        emitLiteral(src, literalStart, end, &out)
    }

    private static func emitLiteral(_ src: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ out: inout [UInt8]) {
        let n = to - from
        guard n > 0 else { return }
        let m = n - 1
        if m < 60 {
            out.append(UInt8(m << 2))
        } else if m < 1 << 8 {
            out.append(60 << 2)
            out.append(UInt8(m))
        } else if m < 1 << 16 {
            out.append(61 << 2)
            out.append(UInt8(m & 0xFF))
            out.append(UInt8(m >> 8))
        } else {
            out.append(62 << 2)
            out.append(UInt8(m & 0xFF))
            out.append(UInt8((m >> 8) & 0xFF))
            out.append(UInt8(m >> 16))
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: src[from..<to]))
    }

    private static func emitCopy(distance: Int, length: Int, _ out: inout [UInt8]) {
        var length = length
        while length > 0 {
            // Copies with a 2-byte offset carry 1...64 bytes; keep at least 4 for the last one.
            var chunk = min(length, 64)
            if length - chunk > 0 && length - chunk < 4 { chunk = length - 4 }
            if chunk >= 4 && chunk <= 11 && distance < 2048 {
                out.append(UInt8(1 | ((chunk - 4) << 2) | ((distance >> 8) << 5)))
                out.append(UInt8(distance & 0xFF))
            } else {
                out.append(UInt8(2 | ((chunk - 1) << 2)))
                out.append(UInt8(distance & 0xFF))
                out.append(UInt8(distance >> 8))
            }
            length -= chunk
        }
    }
}
