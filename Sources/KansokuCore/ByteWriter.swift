/// Appends binary fields to a growing byte array: the encoder side of every on-disk format.
/// Integers are little-endian unless the name says otherwise; varints are LEB128 (as Go's
/// `binary.PutUvarint`), signed ones zig-zag encoded.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inlinable public mutating func writeUVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inlinable public mutating func writeVarint(_ v: Int64) {
        writeUVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    @inlinable public mutating func writeU8(_ v: UInt8) { bytes.append(v) }

    @inlinable public mutating func writeU32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func writeU64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func writeU32BE(_ v: UInt32) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func writeBytes(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    public mutating func writeBytes(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }

    /// A uvarint length followed by the bytes.
    public mutating func writeLengthPrefixed(_ b: some Collection<UInt8>) {
        writeUVarint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    public mutating func writeString(_ s: String) { writeLengthPrefixed(Array(s.utf8)) }

    /// Overwrites four bytes at `offset` (for lengths known only after the body).
    public mutating func patchU32(_ v: UInt32, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { b in
            for i in 0..<4 { bytes[offset + i] = b[i] }
        }
    }
}

/// Why decoding stopped.
public enum ByteReadError: Error, Sendable, Hashable, CustomStringConvertible {
    case truncated(offset: Int, wanted: Int)
    case badVarint(offset: Int)
    case invalidUTF8(offset: Int)

    public var description: String {
        switch self {
        case .truncated(let o, let w): return "truncated data at offset \(o): wanted \(w) more bytes"
        case .badVarint(let o): return "malformed varint at offset \(o)"
        case .invalidUTF8(let o): return "invalid UTF-8 string at offset \(o)"
        }
    }
}

/// Reads fields written by `ByteWriter` from a borrowed buffer, never past its end.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    public var offset: Int

    public init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    public var remaining: Int { buffer.count - offset }
    public var isAtEnd: Bool { offset >= buffer.count }

    @inlinable public mutating func readUVarint() throws(ByteReadError) -> UInt64 {
        // One- and two-byte values (small deltas, line lengths) are most of what block columns hold.
        if offset + 1 < buffer.count {
            let b0 = buffer[offset]
            if b0 < 0x80 { offset += 1; return UInt64(b0) }
            let b1 = buffer[offset + 1]
            if b1 < 0x80 { offset += 2; return UInt64(b0 & 0x7F) | UInt64(b1) << 7 }
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < buffer.count else { throw .truncated(offset: offset, wanted: 1) }
            let b = buffer[offset]
            offset += 1
            if shift == 63 && b > 1 { throw .badVarint(offset: start) }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw .badVarint(offset: start) }
        }
    }

    @inlinable public mutating func readVarint() throws(ByteReadError) -> Int64 {
        let u = try readUVarint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inlinable public mutating func readU8() throws(ByteReadError) -> UInt8 {
        guard offset < buffer.count else { throw .truncated(offset: offset, wanted: 1) }
        defer { offset += 1 }
        return buffer[offset]
    }

    @inlinable public mutating func readU32() throws(ByteReadError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(offset: offset, wanted: 4 - remaining) }
        defer { offset += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable public mutating func readU64() throws(ByteReadError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: offset, wanted: 8 - remaining) }
        defer { offset += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inlinable public mutating func readU32BE() throws(ByteReadError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(offset: offset, wanted: 4 - remaining) }
        defer { offset += 4 }
        return UInt32(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A view of the next `n` bytes, valid as long as the underlying buffer.
    public mutating func readSlice(_ n: Int) throws(ByteReadError) -> UnsafeRawBufferPointer {
        guard n >= 0, remaining >= n else { throw .truncated(offset: offset, wanted: n - remaining) }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)])
    }

    public mutating func readLengthPrefixed() throws(ByteReadError) -> UnsafeRawBufferPointer {
        let n = try readUVarint()
        guard n <= UInt64(remaining) else { throw .truncated(offset: offset, wanted: Int(clamping: n) - remaining) }
        return try readSlice(Int(n))
    }

    public mutating func readString() throws(ByteReadError) -> String {
        let start = offset
        let s = try readLengthPrefixed()
        guard let str = String(validating: s, as: UTF8.self) else { throw .invalidUTF8(offset: start) }
        return str
    }
}
