/// Go string literal syntax (`strconv.Unquote`): double-quoted with escapes, back-quoted raw,
/// single-quoted rune. LogQL string literals, template strings and quoted logfmt values are
/// written in it.
public enum GoString {
    /// `strconv.ErrSyntax`: the text is not a Go string literal.
    public struct InvalidSyntax: Error, Sendable, Hashable, CustomStringConvertible {
        public init() {}
        public var description: String { "invalid syntax" }
    }

    /// The value of the literal `raw`, quotes included.
    public static func unquote(_ raw: [UInt8]) -> Result<String, InvalidSyntax> {
        raw.withUnsafeBytes { b in
            var out: [UInt8] = []
            out.reserveCapacity(b.count)
            guard unquote(b, into: &out) else { return .failure(InvalidSyntax()) }
            return .success(String(decoding: out, as: UTF8.self))
        }
    }

    /// Appends the value of the literal `raw` (quotes included) to `out`; false, with `out`
    /// as it was, when `raw` is not a literal. (Either quote may be escaped in either kind of
    /// quoted string here.)
    public static func unquote(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        guard raw.count >= 2 else { return false }
        let q = raw[0]
        let body = UnsafeRawBufferPointer(rebasing: raw[1..<(raw.count - 1)])
        if q == UInt8(ascii: "`") {
            out.append(contentsOf: body.lazy.filter { $0 != 0x0D })
            return true
        }
        let mark = out.count
        do throws(EscapeError) {
            try unescape(body, quote: nil, into: &out)
        } catch {
            out.removeSubrange(mark...)
            return false
        }
        return true
    }

    /// Why the body of a quoted string is not Go's, and where: `offset` is the backslash
    /// that starts the offending escape.
    public struct EscapeError: Error, Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            /// `\q`, or an escaped quote of the other kind.
            case unknown
            /// Too few or wrong digits after `\x`, `\u`, `\U` or `\0`–`\7`.
            case invalid
            /// `\u`/`\U` naming a surrogate or a value past U+10FFFF.
            case invalidCodePoint
            /// A backslash with nothing after it.
            case truncated
        }
        public let kind: Kind
        public let offset: Int
    }

    /// Appends the value of `body`, the text between the quotes of a `quote`-quoted Go
    /// string, to `out` (`strconv.Unquote`'s escapes). With `quote` nil, both `\"` and `\'`
    /// are accepted; otherwise only the escape of `quote` is, as Go has it.
    public static func unescape(_ body: UnsafeRawBufferPointer, quote: UInt8?, into out: inout [UInt8]) throws(EscapeError) {
        var i = 0
        while i < body.count {
            let c = body[i]
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            let start = i
            i += 1
            guard i < body.count else { throw EscapeError(kind: .truncated, offset: start) }
            let e = body[i]
            i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                guard quote == nil || quote == e else { throw EscapeError(kind: .unknown, offset: start) }
                out.append(e)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let n = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                guard i + n <= body.count else { throw EscapeError(kind: .invalid, offset: start) }
                var v: UInt32 = 0
                for k in 0..<n {
                    guard let h = hexValue(body[i + k]) else { throw EscapeError(kind: .invalid, offset: start) }
                    v = v << 4 | h
                }
                i += n
                if e == UInt8(ascii: "x") {
                    out.append(UInt8(v))
                } else {
                    guard Unicode.Scalar(v) != nil else { throw EscapeError(kind: .invalidCodePoint, offset: start) }
                    JSONScanner.appendUTF8(v, to: &out)
                }
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard i + 2 <= body.count else { throw EscapeError(kind: .invalid, offset: start) }
                var v = UInt32(e - 48)
                for k in 0..<2 {
                    let d = body[i + k]
                    guard d >= 48, d <= 55 else { throw EscapeError(kind: .invalid, offset: start) }
                    v = v * 8 + UInt32(d - 48)
                }
                i += 2
                guard v < 256 else { throw EscapeError(kind: .invalid, offset: start) }
                out.append(UInt8(v))
            default:
                throw EscapeError(kind: .unknown, offset: start)
            }
        }
    }

    private static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - 48)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - 87)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - 55)
        default: return nil
        }
    }
}
