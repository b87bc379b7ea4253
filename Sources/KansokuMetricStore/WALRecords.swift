import KansokuCore

/// Records of the write-ahead log and of checkpoints (see FORMAT.md).
/// Frame: `length u32 LE | crc32c u32 LE | type u8 | payload`; length and CRC cover type+payload.
enum WALRecord {
    static let seriesType: UInt8 = 1
    static let samplesType: UInt8 = 2
    static let headerSize = 8

    struct RefSample: Sendable {
        var ref: UInt64
        var t: Int64
        var v: Double
    }

    static func frame(type: UInt8, _ body: (inout ByteWriter) -> Void, into out: inout [UInt8]) {
        var w = ByteWriter(capacity: 256)
        w.writeU8(type)
        body(&w)
        var h = ByteWriter(capacity: headerSize)
        h.writeU32(UInt32(w.bytes.count))
        h.writeU32(CRC32C.checksum(w.bytes))
        out.append(contentsOf: h.bytes)
        out.append(contentsOf: w.bytes)
    }

    /// A series record carries its own symbol table: label strings repeat across series
    /// (names always, values often), so each pair costs two small indexes.
    static func encodeSeries(_ series: [(ref: UInt64, labels: Labels)], into out: inout [UInt8]) {
        guard !series.isEmpty else { return }
        var symbols: [String] = []
        var index: [String: UInt64] = [:]
        func id(_ s: String) -> UInt64 {
            if let i = index[s] { return i }
            let i = UInt64(symbols.count)
            symbols.append(s)
            index[s] = i
            return i
        }
        var body = ByteWriter(capacity: series.count * 16)
        for s in series {
            body.writeUVarint(s.ref)
            body.writeUVarint(UInt64(s.labels.count))
            for l in s.labels {
                body.writeUVarint(id(l.name))
                body.writeUVarint(id(l.value))
            }
        }
        frame(type: seriesType, { w in
            w.writeUVarint(UInt64(symbols.count))
            for sym in symbols { w.writeString(sym) }
            w.writeUVarint(UInt64(series.count))
            w.writeBytes(body.bytes)
        }, into: &out)
    }

    static func encodeSamples(_ samples: [RefSample], into out: inout [UInt8]) {
        guard !samples.isEmpty else { return }
        frame(type: samplesType, { w in
            w.writeUVarint(UInt64(samples.count))
            var prevRef: UInt64 = 0
            var prevT: Int64 = 0
            for s in samples {
                w.writeVarint(Int64(bitPattern: s.ref &- prevRef))
                w.writeVarint(s.t &- prevT)
                writeValue(s.v, &w)
                prevRef = s.ref
                prevT = s.t
            }
        }, into: &out)
    }

    /// Values that are whole numbers (counters, buckets, most gauges) take a zig-zag varint
    /// with a 0 low bit; anything else (fractions, NaNs, ±Inf, -0) a 1 then its 64 raw bits.
    static func writeValue(_ v: Double, _ w: inout ByteWriter) {
        if v.isFinite, v.rounded() == v, abs(v) < 0x1p52 {
            let i = Int64(v)
            if Double(i).bitPattern == v.bitPattern {
                w.writeUVarint(UInt64(bitPattern: (i << 1) ^ (i >> 63)) << 1)
                return
            }
        }
        w.writeU8(1)
        w.writeU64(v.bitPattern)
    }

    static func readValue(_ r: inout ByteReader) throws(ByteReadError) -> Double {
        let h = try r.readUVarint()
        if h & 1 == 1 {
            guard h == 1 else { throw .badVarint(offset: r.offset) }
            return Double(bitPattern: try r.readU64())
        }
        let z = h >> 1
        return Double(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
    }

    enum Decoded {
        case series([(ref: UInt64, labels: Labels)])
        case samples([RefSample])
    }

    static func decode(type: UInt8, body: UnsafeRawBufferPointer) throws(ByteReadError) -> Decoded? {
        var r = ByteReader(body)
        switch type {
        case seriesType:
            let m = Int(clamping: try r.readUVarint())
            var symbols: [String] = []
            symbols.reserveCapacity(min(m, 1 << 16))
            for _ in 0..<m { symbols.append(try r.readString()) }
            func symbol(_ i: UInt64) throws(ByteReadError) -> String {
                guard i < UInt64(symbols.count) else { throw .badVarint(offset: r.offset) }
                return symbols[Int(i)]
            }
            let n = Int(clamping: try r.readUVarint())
            var out: [(ref: UInt64, labels: Labels)] = []
            out.reserveCapacity(min(n, 1 << 16))
            for _ in 0..<n {
                let ref = try r.readUVarint()
                let k = Int(clamping: try r.readUVarint())
                var ls: [Label] = []
                ls.reserveCapacity(min(k, 64))
                for _ in 0..<k {
                    let name = try symbol(try r.readUVarint())
                    let value = try symbol(try r.readUVarint())
                    ls.append(Label(name: name, value: value))
                }
                out.append((ref, Labels(sorted: ls)))
            }
            return .series(out)
        case samplesType:
            let n = Int(clamping: try r.readUVarint())
            var out: [RefSample] = []
            out.reserveCapacity(min(n, 1 << 20))
            var ref: UInt64 = 0
            var t: Int64 = 0
            for _ in 0..<n {
                ref = ref &+ UInt64(bitPattern: try r.readVarint())
                t = t &+ (try r.readVarint())
                let v = try readValue(&r)
                out.append(RefSample(ref: ref, t: t, v: v))
            }
            return .samples(out)
        default:
            return nil
        }
    }

    /// Walks the frames of one segment. Returns the offset where valid data ends (a torn or
    /// corrupt frame, or the end) and whether the data ended cleanly.
    static func scan(_ bytes: UnsafeRawBufferPointer, _ visit: (UInt8, UnsafeRawBufferPointer) -> Void) -> (validEnd: Int, clean: Bool) {
        var off = 0
        while off < bytes.count {
            guard bytes.count - off >= headerSize + 1 else { return (off, false) }
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: off, as: UInt32.self)))
            let crc = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self))
            guard length >= 1, length <= bytes.count - off - headerSize else { return (off, false) }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[(off + headerSize)..<(off + headerSize + length)])
            guard CRC32C.checksum(payload) == crc else { return (off, false) }
            visit(payload[0], UnsafeRawBufferPointer(rebasing: payload[1...]))
            off += headerSize + length
        }
        return (off, true)
    }
}
