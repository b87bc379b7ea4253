import KansokuCore

/// Encoder of one Gorilla/XOR chunk, bit-compatible with Prometheus's `chunkenc.XORChunk`:
/// `num_samples u16 BE | t0 varint | v0 64 bits | Δt1 uvarint | v1 xor | (dod, xor)*`.
/// See FORMAT.md for the bit layout.
struct XORAppender: Sendable {
    // Field widths keep the appender at 40 bytes: it lives in every head series.
    private(set) var stream: BitWriter
    private(set) var t: Int64 = 0
    private(set) var vBits: UInt64 = 0
    private var tDelta: Int64 = 0
    private var samples: UInt16 = 0
    private var leading: UInt8 = 0xFF
    private var trailing: UInt8 = 0

    var count: Int { Int(samples) }

    init(capacity: Int = 48) {
        stream = BitWriter(bytes: [0, 0], capacity: capacity)
    }

    /// The encoded chunk (header included); a valid chunk at any moment.
    var bytes: [UInt8] { stream.bytes }
    var byteCount: Int { stream.bytes.count }

    mutating func append(t newT: Int64, v: Double) {
        let bits = v.bitPattern
        switch samples {
        case 0:
            writeVarint(newT)
            stream.writeBits(bits, count: 64)
        case 1:
            let delta = newT &- t
            writeUVarint(UInt64(bitPattern: delta))
            writeXOR(bits)
            tDelta = delta
        default:
            let delta = newT &- t
            let dod = delta &- tDelta
            if dod == 0 {
                stream.writeBit(false)
            } else if fits(dod, bits: 14) {
                stream.writeBits(0b10, count: 2)
                stream.writeBits(UInt64(bitPattern: dod), count: 14)
            } else if fits(dod, bits: 17) {
                stream.writeBits(0b110, count: 3)
                stream.writeBits(UInt64(bitPattern: dod), count: 17)
            } else if fits(dod, bits: 20) {
                stream.writeBits(0b1110, count: 4)
                stream.writeBits(UInt64(bitPattern: dod), count: 20)
            } else {
                stream.writeBits(0b1111, count: 4)
                stream.writeBits(UInt64(bitPattern: dod), count: 64)
            }
            writeXOR(bits)
            tDelta = delta
        }
        t = newT
        vBits = bits
        samples &+= 1
        stream.bytes[0] = UInt8(truncatingIfNeeded: samples >> 8)
        stream.bytes[1] = UInt8(truncatingIfNeeded: samples)
    }

    /// Prometheus's `bitRange`: whether `x` fits the signed `bits`-wide dod bucket.
    @inline(__always) private func fits(_ x: Int64, bits: Int64) -> Bool {
        -((1 << (bits - 1)) - 1) <= x && x <= 1 << (bits - 1)
    }

    @inline(__always) private mutating func writeXOR(_ newBits: UInt64) {
        let delta = newBits ^ vBits
        if delta == 0 {
            stream.writeBit(false)
            return
        }
        stream.writeBit(true)
        var newLeading = UInt8(delta.leadingZeroBitCount)
        let newTrailing = UInt8(delta.trailingZeroBitCount)
        if newLeading >= 32 { newLeading = 31 }
        if leading != 0xFF && newLeading >= leading && newTrailing >= trailing {
            stream.writeBit(false)
            stream.writeBits(delta >> UInt64(trailing), count: 64 - Int(leading) - Int(trailing))
            return
        }
        leading = newLeading
        trailing = newTrailing
        stream.writeBit(true)
        stream.writeBits(UInt64(newLeading), count: 5)
        let significant = 64 - Int(newLeading) - Int(newTrailing)
        stream.writeBits(UInt64(significant), count: 6)  // 64 wraps to 0, as in Prometheus
        stream.writeBits(delta >> UInt64(newTrailing), count: significant)
    }

    private mutating func writeVarint(_ v: Int64) {
        writeUVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    private mutating func writeUVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            stream.writeByte(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        stream.writeByte(UInt8(v))
    }
}

/// Decodes an XOR chunk sample by sample without allocating. The buffer must stay valid
/// while the iterator is used.
public struct XORIterator: IteratorProtocol {
    private var reader: BitReader
    private let total: Int
    private var read = 0
    private var t: Int64 = 0
    private var vBits: UInt64 = 0
    private var tDelta: Int64 = 0
    private var leading: Int = 0
    private var trailing: Int = 0
    /// True when the chunk ended early or held an impossible encoding.
    public private(set) var failed = false

    /// `chunk` is a whole XOR chunk, starting with its 2-byte sample count.
    public init(_ chunk: UnsafeRawBufferPointer) {
        reader = BitReader(chunk, bytePosition: min(2, chunk.count))
        total = chunk.count >= 2 ? Int(chunk[0]) << 8 | Int(chunk[1]) : 0
        failed = chunk.count < 2
    }

    /// Number of samples the chunk header announces.
    public var sampleCount: Int { total }

    public mutating func next() -> Sample? {
        guard read < total, !failed else { return nil }
        switch read {
        case 0:
            guard let t0 = reader.readVarint(), let v0 = reader.readBits(64) else { return fail() }
            t = t0
            vBits = v0
        case 1:
            guard let d = reader.readUVarint(), readValue() else { return fail() }
            tDelta = Int64(bitPattern: d)
            t &+= tDelta
        default:
            if nextFromWindow() { return Sample(t: t, v: Double(bitPattern: vBits)) }
            var prefix = 0
            for _ in 0..<4 {
                guard let bit = reader.readBit() else { return fail() }
                if !bit { break }
                prefix += 1
            }
            var dod: Int64 = 0
            var size = 0
            switch prefix {
            case 0: break
            case 1: size = 14
            case 2: size = 17
            case 3: size = 20
            default:
                guard let raw = reader.readBits(64) else { return fail() }
                dod = Int64(bitPattern: raw)
            }
            if size > 0 {
                guard var raw = reader.readBits(size) else { return fail() }
                if raw > 1 << UInt64(size - 1) { raw = raw &- (1 << UInt64(size)) }
                dod = Int64(bitPattern: raw)
            }
            tDelta &+= dod
            t &+= tDelta
            guard readValue() else { return fail() }
        }
        read += 1
        return Sample(t: t, v: Double(bitPattern: vBits))
    }

    /// A sample decoded from whole 64-bit loads instead of bit by bit: every timestamp
    /// encoding but the 64-bit one, and every value encoding. False, with nothing consumed,
    /// for a 64-bit timestamp delta, within 12 bytes of the chunk's end, or for a damaged
    /// encoding: the bit-by-bit path then reads it, and reports the damage.
    @inline(__always)
    private mutating func nextFromWindow() -> Bool {
        // 12 bytes: a second load after the timestamp's at most 24 bits stays in bounds.
        guard reader.position >> 3 + 12 <= reader.buffer.count, let w = reader.peek57() else { return false }
        var used = 0
        var size: UInt64 = 0
        if w >> 63 == 0 {
            used = 1
        } else if w >> 62 == 0b10 {
            (used, size) = (2, 14)
        } else if w >> 61 == 0b110 {
            (used, size) = (3, 17)
        } else if w >> 60 == 0b1110 {
            (used, size) = (4, 20)
        } else {
            return false
        }
        var dod: Int64 = 0
        if size > 0 {
            var raw = (w << UInt64(used)) >> (64 - size)
            if raw > 1 << (size - 1) { raw = raw &- (1 << size) }
            dod = Int64(bitPattern: raw)
            used += Int(size)
        }
        // The value: unchanged, in the previous XOR window, or in a new one.
        let v = w << UInt64(used)
        if v >> 63 == 0 {
            reader.position += used + 1
        } else {
            var fromNextLoad = 2
            if v >> 62 == 0b11 {
                let l = Int((v << 2) >> 59), m = Int((v << 7) >> 58)
                let significant = m == 0 ? 64 : m
                guard 64 - l - significant >= 0 else { return false }
                (leading, trailing) = (l, 64 - l - significant)
                fromNextLoad = 13
            }
            let significant = 64 - leading - trailing
            guard significant > 0 else { return false }
            reader.position += used + fromNextLoad
            guard let bits = reader.readBits(significant) else {
                reader.position -= used + fromNextLoad
                return false
            }
            vBits ^= bits << UInt64(trailing)
        }
        tDelta &+= dod
        t &+= tDelta
        read += 1
        return true
    }

    private mutating func readValue() -> Bool {
        guard let changed = reader.readBit() else { return false }
        if !changed { return true }
        guard let newWindow = reader.readBit() else { return false }
        if newWindow {
            guard let l = reader.readBits(5), let m = reader.readBits(6) else { return false }
            leading = Int(l)
            let significant = m == 0 ? 64 : Int(m)
            trailing = 64 - leading - significant
            if trailing < 0 { return false }
        }
        let significant = 64 - leading - trailing
        guard significant > 0, let bits = reader.readBits(significant) else { return false }
        vBits ^= bits << UInt64(trailing)
        return true
    }

    private mutating func fail() -> Sample? {
        failed = true
        return nil
    }
}

/// Whole-chunk helpers.
enum XORChunk {
    /// Samples of `chunk` with `from <= t <= through`, appended to `out`.
    static func decode(_ chunk: [UInt8], from: Int64 = .min, through: Int64 = .max, into out: inout [Sample]) {
        chunk.withUnsafeBytes { decode($0, from: from, through: through, into: &out) }
    }

    static func decode(_ chunk: UnsafeRawBufferPointer, from: Int64 = .min, through: Int64 = .max, into out: inout [Sample]) {
        var it = XORIterator(chunk)
        while let s = it.next() {
            if s.t > through { break }
            if s.t >= from { out.append(s) }
        }
    }

    /// Samples of `chunk` with `from <= t <= through`, appended to `columns`.
    static func decode(_ chunk: [UInt8], from: Int64, through: Int64, into columns: SampleColumns) {
        guard chunk.count >= 2 else { return }
        // The header's sample count bounds what the chunk holds.
        columns.append(most: Int(chunk[0]) << 8 | Int(chunk[1])) { times, values in
            chunk.withUnsafeBytes { raw in
                var it = XORIterator(raw)
                var n = 0
                while let s = it.next(), s.t <= through {
                    guard s.t >= from else { continue }
                    times[n] = s.t
                    values[n] = s.v
                    n += 1
                }
                return n
            }
        }
    }

    static func encode(_ samples: ArraySlice<Sample>) -> [UInt8] {
        var a = XORAppender(capacity: samples.count * 2 + 16)
        for s in samples { a.append(t: s.t, v: s.v) }
        return a.bytes
    }
}
