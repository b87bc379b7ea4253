import CKansokuRE2

/// A regex failed to compile.
public struct RegexError: Error, Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    public let message: String
    public var description: String { "error parsing regexp: \(message): `\(pattern)`" }
}

/// A compiled RE2 regex: Go/Loki/Prometheus syntax, linear-time matching, safe to share
/// between threads. Swift's `Regex` backtracks and is far slower when scanning logs.
public final class RE2Regex: Sendable, Hashable {
    public enum Anchor: Int32, Sendable {
        case none = 0, start = 1, both = 2
    }

    public let pattern: String
    public let anchor: Anchor
    // RE2 objects are immutable after construction and documented thread-safe.
    nonisolated(unsafe) private let handle: OpaquePointer
    /// The number of capturing groups.
    public let groupCount: Int
    /// Capture group names by index (index 0 is the whole match; nil for unnamed groups).
    public let groupNames: [String?]
    /// When the pattern is a plain literal (no metacharacters), that literal's bytes.
    public let literal: [UInt8]?

    public init(_ pattern: String, anchor: Anchor = .none, caseInsensitive: Bool = false) throws(RegexError) {
        var err = [CChar](repeating: 0, count: 256)
        var p = pattern
        let h: OpaquePointer? = p.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { c in
                kre2_new(c.baseAddress, c.count, caseInsensitive ? 1 : 0, &err, err.count)
            }
        }
        guard let h else {
            let msg = err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw RegexError(pattern: pattern, message: msg)
        }
        self.pattern = pattern
        self.anchor = anchor
        self.handle = h
        let n = Int(kre2_group_count(h))
        groupCount = n
        groupNames = (0...n).map { i in kre2_group_name(h, Int32(i)).map { String(cString: $0) } }
        if caseInsensitive {
            literal = nil
        } else {
            var buf = [CChar](repeating: 0, count: pattern.utf8.count + 1)
            let len = kre2_literal(h, &buf, buf.count)
            literal = len >= 0 ? buf[0..<len].map { UInt8(bitPattern: $0) } : nil
        }
    }

    deinit { kre2_free(handle) }

    /// Whether `bytes` matches (under this regex's anchoring).
    @inlinable public func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        matchesRaw(bytes.baseAddress, bytes.count)
    }

    public func matches(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { matchesRaw(UnsafeRawPointer($0.baseAddress), $0.count) }
    }

    public func matches(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { matches($0) }
    }

    @usableFromInline func matchesRaw(_ p: UnsafeRawPointer?, _ n: Int) -> Bool {
        kre2_match(handle, p?.assumingMemoryBound(to: CChar.self), n, anchor.rawValue) == 1
    }

    /// The leftmost match at or after `start` (unanchored), as byte offsets.
    public func firstMatch(in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Range<Int>? {
        var s = 0, e = 0
        let ok = kre2_find(handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, start, &s, &e)
        return ok == 1 ? s..<e : nil
    }

    public func firstMatch(in s: String, from start: Int = 0) -> Range<Int>? {
        var s2 = s
        return s2.withUTF8 { firstMatch(in: UnsafeRawBufferPointer($0), from: start) }
    }

    /// Byte ranges of every group (index 0 = whole match) of the leftmost match, nil for
    /// groups that did not take part; nil when there is no match.
    public func captures(in bytes: UnsafeRawBufferPointer) -> [Range<Int>?]? {
        var starts = [Int](repeating: 0, count: groupCount + 1)
        var ends = [Int](repeating: 0, count: groupCount + 1)
        let ok = kre2_captures(handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count,
                               &starts, &ends, Int32(groupCount))
        guard ok == 1 else { return nil }
        return (0...groupCount).map { i in starts[i] == Int(bitPattern: UInt(UInt64.max)) ? nil : starts[i]..<ends[i] }
    }

    public func captures(in s: String) -> [Substring?]? {
        var s2 = s
        let ranges = s2.withUTF8 { captures(in: UnsafeRawBufferPointer($0)) }
        guard let ranges else { return nil }
        let utf8 = s.utf8
        return ranges.map { r in
            r.map { r in
                let lo = utf8.index(utf8.startIndex, offsetBy: r.lowerBound)
                let hi = utf8.index(utf8.startIndex, offsetBy: r.upperBound)
                return Substring(s[lo..<hi])
            }
        }
    }

    public static func == (a: RE2Regex, b: RE2Regex) -> Bool { a.pattern == b.pattern && a.anchor == b.anchor }
    public func hash(into h: inout Hasher) { h.combine(pattern); h.combine(anchor) }
}
