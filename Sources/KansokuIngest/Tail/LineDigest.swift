/// A fast 64-bit digest of line bytes, to tell whether a file still holds the bytes a pending
/// batch was made of. Not cryptographic and not a storage checksum (those are CRC32C): it only
/// has to notice a file rewritten under us, at memory speed, since it sees every tailed byte.
struct LineDigest {
    private(set) var value: UInt64 = 0x243F_6A88_85A3_08D3

    @inline(__always) private static func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
        let m = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
        return m ^ (m >> 29)
    }

    /// Adds one line; its length is mixed in so boundaries count.
    mutating func add(_ line: UnsafeRawBufferPointer) {
        var h = Self.mix(value, UInt64(line.count))
        var i = 0
        let n = line.count
        if let base = line.baseAddress {
            while i + 8 <= n {
                h = Self.mix(h, base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
            }
            if i < n {
                var tail: UInt64 = 0
                var shift: UInt64 = 0
                while i < n {
                    tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
                    shift += 8
                    i += 1
                }
                h = Self.mix(h, tail)
            }
        }
        value = h
    }
}
