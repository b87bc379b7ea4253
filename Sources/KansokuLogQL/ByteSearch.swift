#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Substring search over raw bytes: memmem for exact needles, a 16-byte SIMD candidate scan
/// for ASCII case-insensitive ones. No allocation per call.
public enum ByteSearch {
    /// First index of `needle` in `hay` at or after `from`.
    public static func index(of needle: [UInt8], in hay: UnsafeRawBufferPointer, from: Int = 0) -> Int? {
        if needle.isEmpty { return from <= hay.count ? from : nil }
        guard hay.count - from >= needle.count else { return nil }
        return needle.withUnsafeBytes { n in
            find(n, in: UnsafeRawBufferPointer(rebasing: hay[from...])).map { $0 + from }
        }
    }

    @inlinable public static func contains(_ needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Bool {
        find(needle, in: hay) != nil
    }

    /// SIMD candidate scan: compare the needle's first and last bytes 16 positions at a time,
    /// then verify candidates with memcmp.
    public static func find(_ needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Int? {
        let m = needle.count
        if m == 0 { return 0 }
        let n = hay.count
        guard n >= m, let h = hay.baseAddress, let np = needle.baseAddress else { return nil }
        if m == 1 {
            guard let p = memchr(h, Int32(needle[0]), n) else { return nil }
            return h.distance(to: UnsafeRawPointer(p))
        }
        let first = SIMD16<UInt8>(repeating: needle[0]), lastB = SIMD16<UInt8>(repeating: needle[m - 1])
        let lastOff = m - 1
        var i = 0
        let limit = n - m  // last valid start
        while i + 15 <= limit {
            let a = h.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            let b = h.loadUnaligned(fromByteOffset: i + lastOff, as: SIMD16<UInt8>.self)
            let hit = (a .== first) .& (b .== lastB)
            var (w0, w1) = words(hit)
            while w0 != 0 {
                let k = w0.trailingZeroBitCount >> 3
                if memcmp(h + i + k + 1, np + 1, m - 2) == 0 { return i + k }
                w0 &= ~(0xFF << UInt64(k << 3))
            }
            while w1 != 0 {
                let k = w1.trailingZeroBitCount >> 3
                if memcmp(h + i + 8 + k + 1, np + 1, m - 2) == 0 { return i + 8 + k }
                w1 &= ~(0xFF << UInt64(k << 3))
            }
            i += 16
        }
        while i <= limit {
            if h.load(fromByteOffset: i, as: UInt8.self) == needle[0], memcmp(h + i, np, m) == 0 { return i }
            i += 1
        }
        return nil
    }

    /// ASCII case-insensitive containment; `lowerNeedle` must already be lower-case.
    @inline(__always) public static func containsFolded(_ lowerNeedle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Bool {
        findFolded(lowerNeedle, in: hay) != nil
    }

    /// First index of an ASCII case-insensitive match; `lowerNeedle` must be lower-case.
    public static func findFolded(_ lowerNeedle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Int? {
        let m = lowerNeedle.count
        if m == 0 { return 0 }
        let n = hay.count
        guard n >= m, let h = hay.baseAddress else { return nil }
        // candidates: first and last byte match (far apart, so less correlated than neighbours)
        let first = lowerNeedle[0]
        let lastOff = m - 1
        let second = lowerNeedle[lastOff]
        let foldFirst = isLetter(first), foldSecond = isLetter(second)
        let f1 = SIMD16<UInt8>(repeating: first), f2 = SIMD16<UInt8>(repeating: second)
        let fm1 = SIMD16<UInt8>(repeating: foldFirst ? 0x20 : 0), fm2 = SIMD16<UInt8>(repeating: foldSecond ? 0x20 : 0)
        var i = 0
        let last = n - m
        if m > 1 {
            while i + 15 <= last {
                let a = h.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self) | fm1
                let b = h.loadUnaligned(fromByteOffset: i + lastOff, as: SIMD16<UInt8>.self) | fm2
                let hit = (a .== f1) .& (b .== f2)
                var (w0, w1) = words(hit)
                while w0 != 0 {
                    let k = w0.trailingZeroBitCount >> 3
                    if equalFolded(h + i + k, lowerNeedle) { return i + k }
                    w0 &= ~(0xFF << UInt64(k << 3))
                }
                while w1 != 0 {
                    let k = w1.trailingZeroBitCount >> 3
                    if equalFolded(h + i + 8 + k, lowerNeedle) { return i + 8 + k }
                    w1 &= ~(0xFF << UInt64(k << 3))
                }
                i += 16
            }
        }
        while i <= last {
            if lower(h.load(fromByteOffset: i, as: UInt8.self)) == first, equalFolded(h + i, lowerNeedle) { return i }
            i += 1
        }
        return nil
    }

    /// The 16 lanes of a byte mask as two words (0xFF per set lane), avoiding the generic
    /// (unspecialized) `any(_:)` reduction in the hot loop.
    @inline(__always) static func words(_ m: SIMDMask<SIMD16<Int8>>) -> (UInt64, UInt64) {
        let v = unsafeBitCast(m, to: SIMD2<UInt64>.self)
        return (v[0], v[1])
    }

    @inline(__always) static func isLetter(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) }
    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c | 0x20 : c }

    @inline(__always) static func equalFolded(_ p: UnsafeRawPointer, _ needle: UnsafeRawBufferPointer) -> Bool {
        for j in 0..<needle.count where lower(p.load(fromByteOffset: j, as: UInt8.self)) != needle[j] { return false }
        return true
    }
}
