/// Append-only bit stream, most significant bit first (Prometheus's `bstream`). Bytes are
/// written in place so a reader can copy a consistent prefix at any time.
struct BitWriter: Sendable {
    var bytes: [UInt8]
    /// Unused low bits in the last byte (0 when the stream is byte-aligned); one byte keeps
    /// the per-series appender small.
    var free: UInt8 = 0

    init(bytes: [UInt8] = [], capacity: Int = 0) {
        self.bytes = bytes
        if capacity > 0 { self.bytes.reserveCapacity(capacity) }
    }

    @inline(__always) mutating func writeBit(_ one: Bool) {
        if free == 0 {
            bytes.append(0)
            free = 8
        }
        free -= 1
        if one { bytes[bytes.count - 1] |= 1 << free }
    }

    /// Writes the low `count` bits of `value` (1…64), high bit first; higher bits are ignored.
    @inline(__always) mutating func writeBits(_ value: UInt64, count: Int) {
        var n = count
        while n > 0 {
            if free == 0 {
                if n >= 8 {
                    n -= 8
                    bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(n)))
                    continue
                }
                bytes.append(0)
                free = 8
            }
            let take = min(Int(free), n)
            n -= take
            let chunk = UInt8(truncatingIfNeeded: value >> UInt64(n)) & UInt8((1 << take) - 1)
            free -= UInt8(take)
            bytes[bytes.count - 1] |= chunk << free
        }
    }

    mutating func writeByte(_ b: UInt8) { writeBits(UInt64(b), count: 8) }
}

/// Reads a bit stream written by `BitWriter` from a borrowed buffer; never reads past its end.
struct BitReader {
    let buffer: UnsafeRawBufferPointer
    /// Next bit to read, counted from the start of `buffer`.
    var position: Int
    let limit: Int

    init(_ buffer: UnsafeRawBufferPointer, bytePosition: Int = 0) {
        self.buffer = buffer
        self.position = bytePosition * 8
        self.limit = buffer.count * 8
    }

    @inline(__always) var bitsLeft: Int { limit - position }

    @inline(__always) mutating func readBit() -> Bool? {
        guard position < limit else { return nil }
        let byte = buffer[position >> 3]
        let bit = (byte >> UInt8(7 - (position & 7))) & 1
        position += 1
        return bit == 1
    }

    /// Reads `count` bits (1…64) as an unsigned number; nil when the stream is too short.
    @inline(__always) mutating func readBits(_ count: Int) -> UInt64? {
        guard count <= limit - position else { return nil }
        // Eight whole bytes ahead: one load holds the 64 − (position mod 8) bits from the
        // position on, enough for any value but some full 64-bit ones (read byte by byte below).
        if count <= 64 - (position & 7), let word = peek57() {
            position += count
            return word >> UInt64(64 - count)
        }
        var need = count
        var result: UInt64 = 0
        while need > 0 {
            let avail = 8 - (position & 7)
            let take = min(avail, need)
            let byte = UInt64(buffer[position >> 3])
            let bits = (byte >> UInt64(avail - take)) & ((1 << UInt64(take)) - 1)
            result = (result << UInt64(take)) | bits
            need -= take
            position += take
        }
        return result
    }

    /// The next 64 bits of the buffer, first bit highest, of which at least the top 57 are
    /// the stream's (the position's byte and the seven after it); nil within 8 bytes of the
    /// end, where the caller reads bit by bit.
    @inline(__always) func peek57() -> UInt64? {
        let byte = position >> 3
        guard byte + 8 <= buffer.count else { return nil }
        return UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) << UInt64(position & 7)
    }

    mutating func readByte() -> UInt8? { readBits(8).map { UInt8($0) } }

    /// A Go-style uvarint read from the bit stream (bytes may be unaligned).
    mutating func readUVarint() -> UInt64? {
        var x: UInt64 = 0
        var s: UInt64 = 0
        for i in 0..<10 {
            guard let b = readByte() else { return nil }
            if b < 0x80 {
                if i == 9 && b > 1 { return nil }
                return x | UInt64(b) << s
            }
            x |= UInt64(b & 0x7F) << s
            s += 7
        }
        return nil
    }

    mutating func readVarint() -> Int64? {
        guard let u = readUVarint() else { return nil }
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }
}
