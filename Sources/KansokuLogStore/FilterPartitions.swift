import KansokuCore

/// A set of filter partitions (0..<256).
struct PartitionMask: Sendable, Hashable {
    private var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static let none = PartitionMask()

    @inline(__always) func contains(_ p: Int) -> Bool {
        let word: UInt64
        switch p >> 6 {
        case 0: word = bits.0
        case 1: word = bits.1
        case 2: word = bits.2
        default: word = bits.3
        }
        return word & (1 << UInt64(p & 63)) != 0
    }

    mutating func insert(_ p: Int) {
        let bit: UInt64 = 1 << UInt64(p & 63)
        switch p >> 6 {
        case 0: bits.0 |= bit
        case 1: bits.1 |= bit
        case 2: bits.2 |= bit
        default: bits.3 |= bit
        }
    }

    static func == (a: PartitionMask, b: PartitionMask) -> Bool { a.bits == b.bits }
    func hash(into h: inout Hasher) { h.combine(bits.0); h.combine(bits.1); h.combine(bits.2); h.combine(bits.3) }
}

/// A chunk's token filters stored partitioned (FORMAT.md, "Partitioned filters"), so a reader
/// that fetches its bytes by range (a querier reading a bucket) gets the bits a literal's keys
/// need — a few partitions — instead of every block's whole filter.
///
/// Each block's filter has a multiple of 256 bits; partition `j` of a filter of `b` bits is
/// its bits `j·b/256 ..< (j+1)·b/256`, and a key's bit always lies in partition
/// `TokenBloom.partition(gram)`. The section holds, for each partition, that slice of every
/// block's filter, bit-packed in block order, then the slice's CRC32C.
public struct FilterPartitions: Sendable {
    /// Partitions per chunk.
    static let count = 256
    /// A chunk whose filters total fewer words keeps them inline in its meta: below that the
    /// 1 KiB of partition checksums would weigh too much beside the filters.
    static let minimumWords = 1024

    /// Absolute offset of the section in its file.
    let offset: Int64
    /// Each block's filter words (multiples of 4).
    let blockWords: [Int]
    /// Bytes of one partition's bits (without its CRC): a quarter of a bit per filter word.
    let partitionBytes: Int

    init(offset: Int64, blockWords: [Int]) {
        self.offset = offset
        self.blockWords = blockWords
        partitionBytes = (blockWords.reduce(0, +) / 4 + 7) / 8
    }

    var stride: Int { partitionBytes + 4 }
    var sectionSize: Int { FilterPartitions.count * stride }

    /// The bytes of partition `p` (its bits and CRC) in the file.
    public func range(of p: Int) -> Range<Int64> {
        let start = offset + Int64(p * stride)
        return start..<(start + Int64(stride))
    }

    /// Whether a chunk with these blocks' filters is stored partitioned.
    static func applies(to blooms: [TokenBloom]) -> Bool {
        blooms.count >= 2 && blooms.reduce(0) { $0 + ($1.words.count % 4 == 0 ? $1.words.count : $1.words.count * 4) } >= minimumWords
    }

    /// The filters as stored partitioned: word counts made multiples of 4.
    static func storable(_ bloom: TokenBloom) -> TokenBloom {
        bloom.words.count % 4 == 0 ? bloom : bloom.quadrupled()
    }

    /// The section's bytes for `blooms` (each `storable`).
    static func encode(_ blooms: [TokenBloom]) -> [UInt8] {
        let layout = FilterPartitions(offset: 0, blockWords: blooms.map(\.words.count))
        let (length, stride) = (layout.partitionBytes, layout.stride)
        var out = [UInt8](repeating: 0, count: layout.sectionSize)
        out.withUnsafeMutableBytes { raw in
            for p in 0..<count {
                let base = p * stride
                let row = UnsafeMutableRawBufferPointer(rebasing: raw[base..<(base + length)])
                var at = 0
                for b in blooms {
                    let slice = b.words.count / 4
                    b.words.withUnsafeBytes { BitRun.or($0, from: p * slice, into: row, at: at, count: slice) }
                    at += slice
                }
                let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[base..<(base + length)]))
                raw.storeBytes(of: crc.littleEndian, toByteOffset: base + length, as: UInt32.self)
            }
        }
        return out
    }

    /// Whether a partition's bytes (its range, CRC included) check out.
    func verify(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let length = partitionBytes
        return bytes.count == stride && CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<length]))
            == UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: length, as: UInt32.self))
    }

    /// Copies partition `p`'s bits (`bytes`: its range, CRC included) into the blocks'
    /// filters, marking it known. False when the CRC does not match; the filters are then
    /// unchanged.
    func fill(_ blocks: inout [BlockMeta], partition p: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        guard verify(bytes) else { return false }
        return copy(into: &blocks, partition: p, bits: UnsafeRawBufferPointer(rebasing: bytes[0..<partitionBytes]))
    }

    /// Copies partition `p`'s bits (already verified, without their CRC) into the blocks'
    /// filters, in place.
    func copy(into blocks: inout [BlockMeta], partition p: Int, bits bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count == partitionBytes, blocks.count == blockWords.count,
              blocks.indices.allSatisfy({ blocks[$0].bloom.words.count == blockWords[$0] }) else { return false }
        var at = 0
        for i in blocks.indices {
            let slice = blockWords[i] / 4
            blocks[i].bloom.words.withUnsafeMutableBytes { BitRun.or(bytes, from: at, into: $0, at: p * slice, count: slice) }
            blocks[i].bloom.known?.insert(p)
            at += slice
        }
        return true
    }

    /// The partitions to fetch so that filters can rule out blocks without `literal`: those of
    /// the keys `TokenBloom.mayContain` checks, the decisive ones first (the first gram of a
    /// token starting inside the literal), then grams of both parities in turn, at most
    /// `limit`. Fewer partitions only make the filters answer "maybe" more often.
    public static func partitions(for literal: [UInt8], caseInsensitive: Bool, limit: Int = 16) -> [Int] {
        var starts: [Int] = [], even: [Int] = [], odd: [Int] = []
        TokenGrams.classes.withUnsafeBufferPointer { cls in
            var window: UInt64 = 0
            var lastNonASCII = -8
            for (i, byte) in literal.enumerated() {
                let c = cls[Int(byte)]
                if c >= 0x80 { lastNonASCII = i }
                window = (window << 8) | UInt64(c)
                let gram = UInt32(truncatingIfNeeded: window)
                guard i >= 3, TokenGrams.isKey(gram), !(caseInsensitive && lastNonASCII > i - 4) else { continue }
                let p = TokenBloom.partition(gram)
                if i >= 4 && window >> 32 & 0xFF == 0 { starts.append(p) }
                if (i - 3) & 1 == 0 { even.append(p) } else { odd.append(p) }
            }
        }
        var chosen: [Int] = []
        func add(_ p: Int) { if chosen.count < limit && !chosen.contains(p) { chosen.append(p) } }
        starts.forEach(add)
        for k in 0..<max(even.count, odd.count) {
            if k < even.count { add(even[k]) }
            if k < odd.count { add(odd[k]) }
        }
        return chosen
    }
}

#if !_endian(little)
#error("BitRun reads filter words as bytes: bit b of a filter is bit b & 7 of its byte b >> 3 only on little-endian machines")
#endif

/// Copies runs of bits between buffers in which bit `b` is bit `b & 7` of byte `b >> 3` (a
/// partition's bytes, and filter words in memory), 56 bits per step rather than one.
enum BitRun {
    /// ORs `count` bits of `src` from bit `s0` into `dst` from bit `d0`.
    static func or(_ src: UnsafeRawBufferPointer, from s0: Int, into dst: UnsafeMutableRawBufferPointer, at d0: Int, count: Int) {
        var done = 0
        while done < count {
            let n = min(56, count - done)
            let s = s0 + done, d = d0 + done
            let bits = (load(src, s >> 3) >> UInt64(s & 7)) & ((1 << UInt64(n)) - 1)
            let shifted = bits << UInt64(d & 7)   // at most 63 bits: fits
            let byte = d >> 3
            if byte + 8 <= dst.count {
                let old = UInt64(littleEndian: dst.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
                dst.storeBytes(of: (old | shifted).littleEndian, toByteOffset: byte, as: UInt64.self)
            } else {
                for k in 0..<min(8, dst.count - byte) { dst[byte + k] |= UInt8(truncatingIfNeeded: shifted >> UInt64(8 * k)) }
            }
            done += n
        }
    }

    @inline(__always) private static func load(_ p: UnsafeRawBufferPointer, _ byte: Int) -> UInt64 {
        if byte + 8 <= p.count { return UInt64(littleEndian: p.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) }
        var v: UInt64 = 0
        for k in 0..<max(0, min(8, p.count - byte)) { v |= UInt64(p[byte + k]) << UInt64(8 * k) }
        return v
    }
}
