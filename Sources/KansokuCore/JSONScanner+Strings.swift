extension JSONScanner {
    /// The raw bytes between a string's quotes (escapes left as written), and whether it has
    /// escapes. Strict scanning refuses raw control characters, as JSON requires.
    public mutating func rawString() throws(JSONSyntaxError) -> (UnsafeRawBufferPointer, Bool) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("a string") }
        offset += 1
        let start = offset
        var escaped = false
        while offset < bytes.count {
            let b = bytes[offset]
            if b == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
                offset += 1
                return (raw, escaped)
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                offset += 2
                continue
            }
            if b < 0x20 && strictness == .strict { throw error("a string character (control characters must be escaped)") }
            offset += 1
        }
        offset = bytes.count
        throw error("'\"' closing the string")
    }

    /// Reads a string value and appends its unescaped bytes to `out`.
    public mutating func readString(into out: inout [UInt8]) throws(JSONSyntaxError) {
        let start = offset
        let (raw, escaped) = try rawString()
        if !escaped {
            out.append(contentsOf: raw)
            return
        }
        try JSONScanner.unescape(raw, into: &out, baseOffset: start + 1, strictness: strictness)
    }

    public mutating func readString() throws(JSONSyntaxError) -> String {
        var buf: [UInt8] = []
        try readString(into: &buf)
        return String(decoding: buf, as: UTF8.self)
    }

    /// The text of a key or string body returned by `rawString`, unescaped by this scanner's rules.
    public func string(_ raw: UnsafeRawBufferPointer, escaped: Bool) throws(JSONSyntaxError) -> String {
        guard escaped else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        try JSONScanner.unescape(raw, into: &out, baseOffset: 0, strictness: strictness)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes JSON escapes. Lone surrogates become U+FFFD, as Go's decoder does. Lenient
    /// decoding never throws: see `JSONStrictness.lenient`.
    public static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8], baseOffset: Int,
                                strictness: JSONStrictness = .strict) throws(JSONSyntaxError) {
        var i = 0
        let lenient = strictness == .lenient
        func bad(_ what: String) -> JSONSyntaxError {
            JSONSyntaxError(offset: baseOffset + i, expected: what, found: "invalid escape")
        }
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < raw.count else {
                if lenient { out.append(b); return }
                throw bad("an escape character after '\\'")
            }
            let e = raw[i + 1]
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var cp = hex4(raw, i + 2) else {
                    if lenient { out.append(e); break }
                    throw bad("four hex digits after \\u")
                }
                i += 6
                if (0xD800..<0xDC00).contains(cp) {
                    if i + 1 < raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                       let lo = hex4(raw, i + 2), (0xDC00..<0xE000).contains(lo) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    } else {
                        cp = 0xFFFD
                    }
                } else if (0xDC00..<0xE000).contains(cp) {
                    cp = 0xFFFD
                }
                appendUTF8(cp, to: &out)
                continue
            default:
                if lenient { out.append(e); break }
                throw bad("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u")
            }
            i += 2
        }
    }

    private static func hex4(_ raw: UnsafeRawBufferPointer, _ at: Int) -> UInt32? {
        guard at + 4 <= raw.count else { return nil }
        var v: UInt32 = 0
        for k in at..<(at + 4) {
            let c = raw[k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Appends the UTF-8 encoding of the code point `cp`.
    public static func appendUTF8(_ cp: UInt32, to out: inout [UInt8]) {
        switch cp {
        case 0..<0x80:
            out.append(UInt8(cp))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (cp >> 6)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (cp >> 12)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (cp >> 18)))
            out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }
}
