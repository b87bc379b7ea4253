import KansokuCore

/// The chunk encoding of sealed blocks (encoding 2, FORMAT.md): byte-aligned varints that a
/// general-purpose compressor shrinks well, where XOR's bit packing leaves it nothing to find.
/// Timestamps are delta-of-delta (a regular scrape interval writes a run of zero bytes);
/// values that are decimals, `m × 10^−k` with `|m| < 2^53` and `k ≤ 15` (counters, gauges
/// of whole or 2-place numbers), are written as their integer mantissas, raw, delta or
/// delta-of-delta, whichever is shortest; any other chunk keeps each value's 64 bits XORed
/// with the previous one. Every value decodes bit for bit, NaN payloads and -0.0 included.
///
/// `count u16 BE | t0 varint | Δt1 varint | dod varint × (n − 2) | kind u8 | values`
enum DecimalDeltaChunk {
    static let encoding: UInt8 = 2
    static let maxSamples = Int(UInt16.max)

    /// Value kinds.
    static let decimalKind: UInt8 = 0
    static let floatKind: UInt8 = 1

    /// Mantissa orders.
    static let raw: UInt8 = 0
    static let delta: UInt8 = 1
    static let deltaOfDelta: UInt8 = 2

    /// Exact powers of ten (every one up to 10^22 is a double).
    private static let powers: [Double] = (0...15).map { k in (0..<k).reduce(1.0) { r, _ in r * 10 } }
    private static let mantissaLimit = Double(1 << 53)

    static func encode(_ samples: ArraySlice<Sample>) -> [UInt8] {
        precondition(samples.count <= maxSamples, "chunk too large")
        var w = ByteWriter(capacity: samples.count * 3 + 16)
        w.writeU8(UInt8(truncatingIfNeeded: samples.count >> 8))
        w.writeU8(UInt8(truncatingIfNeeded: samples.count))
        var prevT: Int64 = 0, prevDelta: Int64 = 0
        for (i, s) in samples.enumerated() {
            switch i {
            case 0: w.writeVarint(s.t)
            case 1: prevDelta = s.t &- prevT; w.writeVarint(prevDelta)
            default:
                let d = s.t &- prevT
                w.writeVarint(d &- prevDelta)
                prevDelta = d
            }
            prevT = s.t
        }
        if let (k, mantissas) = decimal(samples) {
            w.writeU8(decimalKind)
            w.writeU8(UInt8(k))
            let order = cheapestOrder(mantissas)
            w.writeU8(order)
            forEachDifference(mantissas, order: order) { w.writeVarint($0) }
        } else {
            w.writeU8(floatKind)
            var prev: UInt64 = 0
            for s in samples {
                w.writeU64(s.v.bitPattern ^ prev)
                prev = s.v.bitPattern
            }
        }
        return w.bytes
    }

    /// The smallest `k` for which every value is `m / 10^k` exactly, with the mantissas; nil
    /// when some value is not such a decimal (NaN, ±Inf, -0.0, |m| ≥ 2^53, more places).
    private static func decimal(_ samples: ArraySlice<Sample>) -> (Int, [Int64])? {
        var k = 0
        for s in samples {
            while !exact(s.v, places: k) {
                k += 1
                if k >= powers.count { return nil }
            }
        }
        // Each value is exact at its own k and the largest is used: m × 10^(K−k) / 10^K is the
        // same rational, so the division rounds to the same double; checked anyway.
        var out: [Int64] = []
        out.reserveCapacity(samples.count)
        for s in samples {
            guard exact(s.v, places: k) else { return nil }
            out.append(Int64((s.v * powers[k]).rounded()))
        }
        return (k, out)
    }

    @inline(__always) private static func exact(_ v: Double, places k: Int) -> Bool {
        let m = (v * powers[k]).rounded()
        guard abs(m) < mantissaLimit else { return false }
        return value(Int64(m), places: k).bitPattern == v.bitPattern
    }

    @inline(__always) static func value(_ m: Int64, places k: Int) -> Double {
        k == 0 ? Double(m) : Double(m) / powers[k]
    }

    private static func cheapestOrder(_ m: [Int64]) -> UInt8 {
        var best = raw, bestSize = Int.max
        for order in [raw, delta, deltaOfDelta] {
            var size = 0
            forEachDifference(m, order: order) { size += varintSize($0) }
            if size < bestSize { best = order; bestSize = size }
        }
        return best
    }

    @inline(__always) private static func forEachDifference(_ m: [Int64], order: UInt8, _ body: (Int64) -> Void) {
        var prev: Int64 = 0, prevDelta: Int64 = 0
        for (i, x) in m.enumerated() {
            switch order {
            case raw: body(x)
            case delta: body(i == 0 ? x : x &- prev)
            default:
                if i == 0 { body(x) } else {
                    let d = x &- prev
                    body(i == 1 ? d : d &- prevDelta)
                    prevDelta = d
                }
            }
            prev = x
        }
    }

    private static func varintSize(_ v: Int64) -> Int {
        let z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        return max(1, (64 - z.leadingZeroBitCount + 6) / 7)
    }

    /// Number of samples the chunk announces (0 when too short).
    static func sampleCount(_ chunk: UnsafeRawBufferPointer) -> Int {
        chunk.count >= 2 ? Int(chunk[0]) << 8 | Int(chunk[1]) : 0
    }

    /// Appends the samples with `from <= t <= through` to `out`; false when the chunk is
    /// malformed (what was decoded before the damage is kept).
    @discardableResult
    static func decode(_ chunk: UnsafeRawBufferPointer, from: Int64 = .min, through: Int64 = .max,
                       into out: inout [Sample]) -> Bool {
        let n = sampleCount(chunk)
        guard n > 0 else { return chunk.count >= 2 }
        // Timestamps come first and the values after them, so all are read even when the
        // window ends early; they go to stack or scratch memory, not an array per chunk.
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: n) { times in
            var r = ByteReader(chunk, offset: 2)
            do throws(ByteReadError) {
                var t: Int64 = 0, d: Int64 = 0
                for i in 0..<n {
                    let x = try r.readVarint()
                    switch i {
                    case 0: t = x
                    case 1: d = x; t &+= d
                    default: d &+= x; t &+= d
                    }
                    times[i] = t
                }
                guard let lo = times.firstIndex(where: { $0 >= from }) else { return true }
                let kind = try r.readU8()
                out.reserveCapacity(out.count + n - lo)
                if kind == floatKind {
                    var bits: UInt64 = 0
                    for i in 0..<n {
                        bits ^= try r.readU64()
                        if times[i] > through { break }
                        if i >= lo { out.append(Sample(t: times[i], v: Double(bitPattern: bits))) }
                    }
                    return true
                }
                guard kind == decimalKind else { return false }
                let k = Int(try r.readU8())
                let order = try r.readU8()
                guard k < powers.count, order <= deltaOfDelta else { return false }
                var m: Int64 = 0, md: Int64 = 0
                for i in 0..<n {
                    let x = try r.readVarint()
                    switch order {
                    case raw: m = x
                    case delta: m = i == 0 ? x : m &+ x
                    default:
                        if i == 0 { m = x } else {
                            md = i == 1 ? x : md &+ x
                            m &+= md
                        }
                    }
                    if times[i] > through { break }
                    if i >= lo { out.append(Sample(t: times[i], v: value(m, places: k))) }
                }
                return true
            } catch {
                return false
            }
        }
    }
}
