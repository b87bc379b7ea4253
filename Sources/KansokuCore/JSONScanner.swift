/// Why a JSON document could not be read.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset of the problem in the document.
    public var offset: Int
    public var expected: String
    public var found: String

    public init(offset: Int, expected: String, found: String) {
        self.offset = offset
        self.expected = expected
        self.found = found
    }

    public var description: String { "invalid JSON at byte \(offset): expected \(expected), found \(found)" }
}

/// The kind of the next JSON value, from its first byte.
public enum JSONValueKind: Sendable, Hashable {
    case object, array, string, number, bool, null
}

/// How closely a `JSONScanner` holds to RFC 8259.
public enum JSONStrictness: Sendable, Hashable {
    /// RFC 8259: numbers by its grammar, raw control characters in strings refused, only its
    /// nine escapes. For documents Kansoku is handed as JSON: push and OTLP bodies, the
    /// positions file, pipeline `json` stages.
    case strict
    /// What Loki's `json` and `unpack` stages accept in a log line: a number is any run of
    /// `+-0123456789.eE`, raw control characters stand in strings, an unknown escape stands
    /// for its character and a `\u` without four hex digits for `u`.
    case lenient
}

/// A forward-only reader over JSON bytes that never builds a tree: callers read only what
/// they need and skip the rest, so a log line costs no allocation beyond the values actually
/// extracted. Strings are unescaped into caller-owned buffers.
public struct JSONScanner {
    public let bytes: UnsafeRawBufferPointer
    public var offset: Int
    public let strictness: JSONStrictness
    /// The deepest nesting of objects and arrays `skipValue` accepts. Skipping never recurses
    /// (a hostile document cannot exhaust the stack); the bound is for callers that recurse
    /// into what was skipped.
    public let maxDepth: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0, strictness: JSONStrictness = .strict, maxDepth: Int = .max) {
        self.bytes = bytes
        self.offset = offset
        self.strictness = strictness
        self.maxDepth = maxDepth
    }

    /// A scanner over the same document with the same rules, positioned at `offset`.
    public func at(_ offset: Int) -> JSONScanner {
        JSONScanner(bytes, offset: offset, strictness: strictness, maxDepth: maxDepth)
    }

    public var isAtEnd: Bool { offset >= bytes.count }

    @inlinable public mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    public func error(_ expected: String) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset, expected: expected, found: describe(at: offset))
    }

    private func describe(at i: Int) -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    /// Skips whitespace, then consumes `byte` or throws.
    public mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == byte else { throw error(what) }
        offset += 1
    }

    /// Skips whitespace and consumes `byte` when it is next.
    @inlinable public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == byte {
            offset += 1
            return true
        }
        return false
    }

    /// Skips whitespace and names the kind of the value that starts there.
    public mutating func peekKind() throws(JSONSyntaxError) -> JSONValueKind {
        skipWhitespace()
        guard offset < bytes.count, let kind = Self.kind(startingWith: bytes[offset], strictness) else { throw error("a value") }
        return kind
    }

    private static func kind(startingWith b: UInt8, _ strictness: JSONStrictness) -> JSONValueKind? {
        switch b {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return strictness == .lenient ? .number : nil
        default: return nil
        }
    }

    /// Iterates an object's members: `body` is called positioned at each value, with the raw
    /// key bytes (escapes undecoded, which is what comparisons against plain keys need) and
    /// whether the key had escapes; it must consume the value.
    /// Errors thrown by `body` pass through unchanged (so callers can add their own types).
    public mutating func forEachMember(
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
    public mutating func forEachElement(_ body: (inout JSONScanner, Int) throws -> Void) throws {
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

    /// Skips one value of any kind, validating its syntax, and returns its raw byte range.
    @discardableResult
    public mutating func skipValue() throws(JSONSyntaxError) -> Range<Int> {
        let kind = try peekKind()
        let start = offset
        switch kind {
        case .object, .array:
            try skipContainer()
        case .string:
            _ = try rawString()
        case .number:
            try skipNumber()
        case .bool, .null:
            try skipLiteral()
        }
        return start..<offset
    }

    /// The raw text of `range` (a number or literal as written).
    public func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Skips a whole object or array without recursion, validating strings, numbers and
    /// literals along the way.
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
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard stack.count < maxDepth else { throw error("objects and arrays nested at most \(maxDepth) deep") }
                    offset += 1
                    let close = b == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    if consume(close) { expectingValue = false; break }
                    stack.append(close)
                    if close == UInt8(ascii: "}") { try memberKey() }
                default:
                    guard let kind = Self.kind(startingWith: b, strictness) else { throw error("a value") }
                    switch kind {
                    case .string: _ = try rawString()
                    case .number: try skipNumber()
                    default: try skipLiteral()
                    }
                    expectingValue = false
                }
            } else {
                let close = stack[stack.count - 1]
                if b == UInt8(ascii: ",") {
                    offset += 1
                    if close == UInt8(ascii: "}") { try memberKey() }
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

    /// `"key":` inside an object.
    private mutating func memberKey() throws(JSONSyntaxError) {
        skipWhitespace()
        _ = try rawString()
        try expect(UInt8(ascii: ":"), "':' after an object key")
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
        if strictness == .lenient {
            let start = offset
            while offset < bytes.count, Self.isLenientNumberByte(bytes[offset]) { offset += 1 }
            guard offset > start else { throw error("a number") }
            return
        }
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

    private static func isLenientNumberByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "e"), UInt8(ascii: "E"):
            return true
        default:
            return false
        }
    }

    /// Requires that only whitespace remains.
    public mutating func expectEnd() throws(JSONSyntaxError) {
        skipWhitespace()
        guard offset >= bytes.count else { throw error("end of input") }
    }
}
