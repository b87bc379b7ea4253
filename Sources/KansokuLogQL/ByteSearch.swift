internal import CKansokuByteSearch

/// Substring search over raw bytes, exact or ASCII case-insensitive. No allocation per call.
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

    /// First index of `needle` in `hay`: a vector scan for positions whose first and last
    /// bytes match, each verified in full (CKansokuByteSearch).
    public static func find(_ needle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Int? {
        let r = kbytesearch_find(hay.baseAddress, hay.count, needle.baseAddress, needle.count, 0)
        return r < 0 ? nil : r
    }

    /// ASCII case-insensitive containment; `lowerNeedle` must already be lower-case.
    @inline(__always) public static func containsFolded(_ lowerNeedle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Bool {
        findFolded(lowerNeedle, in: hay) != nil
    }

    /// First index of an ASCII case-insensitive match; `lowerNeedle` must be lower-case.
    public static func findFolded(_ lowerNeedle: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Int? {
        let r = kbytesearch_find(hay.baseAddress, hay.count, lowerNeedle.baseAddress, lowerNeedle.count, 1)
        return r < 0 ? nil : r
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c | 0x20 : c }
}
