/// Why a JSON document could not be read.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset of the problem in the document.
    public var offset: Int
    public var expected: String
    public var found: String

    public var description: String { "invalid JSON at byte \(offset): expected \(expected), found \(found)" }
}

/// The kind of the next JSON value, from its first byte.
enum JSONValueKind: Sendable {
    case object, array, string, number, literal
}

/// A forward-only reader over JSON bytes that never builds a tree: the push decoder and the
/// `json` stage read only what they need and skip the rest, so a log line costs no allocation
/// beyond the values actually extracted. Strings are unescaped into caller-owned buffers.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    func error(_ expected: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset, expected: expected, found: describe(at: offset))
    }

    private func describe(at i: Int) -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    /// Skips whitespace, then consumes `byte` or throws.
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == byte else { throw error(what) }
        offset += 1
    }

    /// Skips whitespace and consumes `byte` when it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == byte {
            offset += 1
            return true
        }
        return false
    }

    mutating func peekKind() throws(JSONSyntaxError) -> JSONValueKind {
        skipWhitespace()
        guard offset < bytes.count else { throw error("a value") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): return .literal
        default: throw error("a value")
        }
    }

    /// Iterates an object's members: `body` is called positioned at each value, with the raw
    /// key bytes (escapes undecoded, which is what comparisons against plain keys need) and
    /// whether the key had escapes; it must consume the value.
    /// Errors thrown by `body` pass through unchanged (so callers can add their own types).
    mutating func forEachMember(
        _ body: (inout JSONScanner, UnsafeRawBufferPointer, Bool) throws -> Void
    ) throws {
        try expect(UInt8(ascii: "{"), "'{'")
        if consume(UInt8(ascii: "}")) { return }
        while true {
            skipWhitespace()
            let (key, escaped) = try rawString()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            try body(&self, key, escaped)
            if consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "}"), "',' or '}' in an object")
            return
        }
    }

    /// Iterates an array's elements; `body` must consume each element.
    mutating func forEachElement(_ body: (inout JSONScanner, Int) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "'['")
        if consume(UInt8(ascii: "]")) { return }
        var index = 0
        while true {
            try body(&self, index)
            index += 1
            if consume(UInt8(ascii: ",")) { continue }
            try expect(UInt8(ascii: "]"), "',' or ']' in an array")
            return
        }
    }

    /// The raw bytes between a string's quotes (escapes left as written), and whether it has
    /// escapes. Control characters inside strings are rejected as JSON requires.
    mutating func rawString() throws(JSONSyntaxError) -> (UnsafeRawBufferPointer, Bool) {
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
            if b < 0x20 { throw error("a string character (control characters must be escaped)") }
            offset += 1
        }
        offset = bytes.count
        throw error("'\"' closing the string")
    }

    /// Reads a string value and appends its unescaped bytes to `out`.
    mutating func readString(into out: inout [UInt8]) throws(JSONSyntaxError) {
        let start = offset
        let (raw, escaped) = try rawString()
        if !escaped {
            out.append(contentsOf: raw)
            return
        }
        try JSONScanner.unescape(raw, into: &out, baseOffset: start + 1)
    }

    mutating func readString() throws(JSONSyntaxError) -> String {
        var buf: [UInt8] = []
        try readString(into: &buf)
        return String(decoding: buf, as: UTF8.self)
    }

    /// Decodes JSON escapes. Lone surrogates become U+FFFD, as Go's decoder does.
    static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8], baseOffset: Int) throws(JSONSyntaxError) {
        var i = 0
        func bad(_ what: String) -> JSONSyntaxError {
            JSONSyntaxError(offset: baseOffset + i, expected: what, found: "invalid escape")
        }
        func hex4(_ at: Int) -> UInt32? {
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
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                i += 1
                continue
            }
            guard i + 1 < raw.count else { throw bad("an escape character after '\\'") }
            let e = raw[i + 1]
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var cp = hex4(i + 2) else { throw bad("four hex digits after \\u") }
                i += 6
                if (0xD800..<0xDC00).contains(cp) {
                    if i + 1 < raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                       let lo = hex4(i + 2), (0xDC00..<0xE000).contains(lo) {
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
                throw bad("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u")
            }
            i += 2
        }
    }

    static func appendUTF8(_ cp: UInt32, to out: inout [UInt8]) {
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

    /// Skips one value of any kind, validating its syntax, and returns its raw byte range.
    @discardableResult
    mutating func skipValue() throws(JSONSyntaxError) -> Range<Int> {
        let kind = try peekKind()
        let start = offset
        switch kind {
        case .object, .array:
            try skipContainer()
        case .string:
            _ = try rawString()
        case .number:
            try skipNumber()
        case .literal:
            try skipLiteral()
        }
        return start..<offset
    }

    /// Skips a whole object or array without recursion (a hostile document cannot blow the
    /// stack), validating strings, numbers and literals along the way.
    private mutating func skipContainer() throws(JSONSyntaxError) {
        var stack: [UInt8] = []  // expected closing bytes
        var expectingValue = true
        while true {
            if !expectingValue && stack.isEmpty { return }
            skipWhitespace()
            guard offset < bytes.count else { throw error("the end of an object or array") }
            let b = bytes[offset]
            if expectingValue {
                switch b {
                case UInt8(ascii: "{"):
                    offset += 1
                    stack.append(UInt8(ascii: "}"))
                    if consume(UInt8(ascii: "}")) { stack.removeLast(); expectingValue = false; break }
                    skipWhitespace()
                    _ = try rawString()
                    try expect(UInt8(ascii: ":"), "':' after an object key")
                case UInt8(ascii: "["):
                    offset += 1
                    stack.append(UInt8(ascii: "]"))
                    if consume(UInt8(ascii: "]")) { stack.removeLast(); expectingValue = false }
                case UInt8(ascii: "\""): _ = try rawString(); expectingValue = false
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber(); expectingValue = false
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): try skipLiteral(); expectingValue = false
                default: throw error("a value")
                }
            } else {
                let close = stack[stack.count - 1]
                if b == UInt8(ascii: ",") {
                    offset += 1
                    if close == UInt8(ascii: "}") {
                        skipWhitespace()
                        _ = try rawString()
                        try expect(UInt8(ascii: ":"), "':' after an object key")
                    }
                    expectingValue = true
                } else if b == close {
                    offset += 1
                    stack.removeLast()
                } else {
                    throw error(close == UInt8(ascii: "}") ? "',' or '}' in an object" : "',' or ']' in an array")
                }
            }
        }
    }

    private mutating func skipLiteral() throws(JSONSyntaxError) {
        for word in ["true", "false", "null"] {
            let w = Array(word.utf8)
            if offset + w.count <= bytes.count, (0..<w.count).allSatisfy({ bytes[offset + $0] == w[$0] }) {
                offset += w.count
                return
            }
        }
        throw error("true, false or null")
    }

    private mutating func skipNumber() throws(JSONSyntaxError) {
        func digits(_ s: inout JSONScanner) -> Int {
            let start = s.offset
            while s.offset < s.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(s.bytes[s.offset]) {
                s.offset += 1
            }
            return s.offset - start
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        guard digits(&self) > 0 else { throw error("a digit") }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw error("a digit after '.'") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") {
                offset += 1
            }
            guard digits(&self) > 0 else { throw error("a digit in the exponent") }
        }
    }

    /// Requires that only whitespace remains.
    mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        guard offset >= bytes.count else { throw error("end of input") }
    }
}
