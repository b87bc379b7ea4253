public import Foundation

/// JSON as written, keeping what a Go decoder tells apart and `JSONSerialization` does not:
/// an integer literal from a float one, key order, and repeated keys.
public indirect enum JSONValue: Sendable, Equatable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    /// The literal as written (`12`, `1.5`, `1e3`).
    case number(String)
    case bool(Bool)
    case null

    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) { self.key = key; self.value = value }
    }

    /// `number` with no fraction and no exponent: what Go decodes into an `int64` field.
    public var isIntegerLiteral: Bool {
        guard case .number(let text) = self else { return false }
        return !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
    }

    var kind: String {
        switch self {
        case .object: return "object"
        case .array: return "array"
        case .string(let s): return "string \(s.debugDescription)"
        case .number(let n): return "number \(n)"
        case .bool(let b): return "bool \(b)"
        case .null: return "null"
        }
    }

    /// Parses one JSON document (RFC 8259); trailing bytes other than white space are an error.
    public static func parse(_ data: Data) throws -> JSONValue {
        var p = JSONTextParser(bytes: Array(data))
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.at == p.bytes.count else { throw p.failure("trailing bytes") }
        return v
    }

    public static func parse(_ text: String) throws -> JSONValue { try parse(Data(text.utf8)) }
}

/// A JSON document's shape, given by example, against which real answers are checked as
/// strictly as the peers' Go types decode them:
///
/// - an object's keys must be exactly the example's: a key the example lacks is an unknown
///   field, a key it has is required, except `"?name"` (omitted when empty, `omitempty`);
///   an object whose only key is `"*"` is a map, every value of the shape of `"*"`'s;
/// - an array of one element is a list of that element's shape (it may be empty); of two or
///   more, a tuple of exactly those shapes (`[<seconds>, "<value>"]`); of none, always empty;
/// - an integer is an `int64` (a fraction or exponent is refused); a number with a fraction
///   is a `float64` and takes any number;
/// - a string `"=text"` must be exactly `text`; `"<ns>"` a decimal integer in a string (Loki's
///   nanosecond timestamps); `"<float>"` a number Go's `ParseFloat` reads (`NaN`, `+Inf`
///   included); any other string takes any string;
/// - `true`/`false` need a bool and `null` a null;
/// - a string `"@file.json"` stands for the whole shape in that fixture file (shared parts,
///   such as Loki's `stats` object, are written once).
public struct JSONShape: Sendable {
    public let example: JSONValue
    public let name: String

    public init(_ example: JSONValue, name: String = "shape") {
        self.example = example
        self.name = name
    }

    /// The checked-in shape fixtures.
    public static let fixtureDirectory = Requirement.repoRoot.appendingPathComponent("Tests/APIShapes")

    /// Loads `Tests/APIShapes/<relativePath>` from the repository, with its `"@file"` parts.
    public init(fixture relativePath: String) throws {
        self.init(try Self.load(relativePath, depth: 0), name: relativePath)
    }

    static func load(_ relativePath: String, depth: Int) throws -> JSONValue {
        guard depth < 8 else { throw JSONTextParser.Failure(description: "\(relativePath): fixtures include each other too deeply") }
        let url = fixtureDirectory.appendingPathComponent(relativePath)
        return try resolve(try JSONValue.parse(try Data(contentsOf: url)), depth: depth)
    }

    static func resolve(_ v: JSONValue, depth: Int) throws -> JSONValue {
        switch v {
        case .string(let s) where s.hasPrefix("@"): return try load(String(s.dropFirst()), depth: depth + 1)
        case .object(let members): return .object(try members.map { .init(key: $0.key, value: try resolve($0.value, depth: depth)) })
        case .array(let elements): return .array(try elements.map { try resolve($0, depth: depth) })
        default: return v
        }
    }

    /// Every difference between `actual` and the shape, each with its JSON path; empty when it fits.
    public func mismatches(_ actual: JSONValue) -> [String] {
        var out: [String] = []
        Self.check(actual, against: example, path: "$", into: &out)
        return out
    }

    public func mismatches(_ data: Data) -> [String] {
        do { return mismatches(try JSONValue.parse(data)) } catch { return ["$: not JSON: \(error)"] }
    }

    static func check(_ actual: JSONValue, against shape: JSONValue, path: String, into out: inout [String]) {
        switch shape {
        case .object(let members):
            guard case .object(let got) = actual else { return out.append("\(path): expected object, got \(actual.kind)") }
            var seen = Set<String>()
            for m in got where !seen.insert(m.key).inserted { out.append("\(path).\(m.key): repeated key") }
            if members.count == 1, members[0].key == "*" {
                for m in got { check(m.value, against: members[0].value, path: "\(path).\(m.key)", into: &out) }
                return
            }
            var expected: [String: (value: JSONValue, optional: Bool)] = [:]
            for m in members {
                let optional = m.key.hasPrefix("?")
                expected[optional ? String(m.key.dropFirst()) : m.key] = (m.value, optional)
            }
            for m in got {
                guard let e = expected[m.key] else { out.append("\(path).\(m.key): unknown field"); continue }
                check(m.value, against: e.value, path: "\(path).\(m.key)", into: &out)
            }
            for (key, e) in expected.sorted(by: { $0.key < $1.key }) where !e.optional && !seen.contains(key) {
                out.append("\(path).\(key): missing")
            }
        case .array(let elements):
            guard case .array(let got) = actual else { return out.append("\(path): expected array, got \(actual.kind)") }
            switch elements.count {
            case 0:
                if !got.isEmpty { out.append("\(path): expected an empty array, got \(got.count) elements") }
            case 1:
                for (i, v) in got.enumerated() { check(v, against: elements[0], path: "\(path)[\(i)]", into: &out) }
            default:
                guard got.count == elements.count else {
                    return out.append("\(path): expected a tuple of \(elements.count), got \(got.count) elements")
                }
                for i in got.indices { check(got[i], against: elements[i], path: "\(path)[\(i)]", into: &out) }
            }
        case .string(let pattern):
            guard case .string(let s) = actual else { return out.append("\(path): expected string, got \(actual.kind)") }
            if pattern.hasPrefix("=") {
                if s != pattern.dropFirst() { out.append("\(path): expected \(String(pattern.dropFirst()).debugDescription), got \(s.debugDescription)") }
            } else if pattern == "<ns>" {
                let digits = s.hasPrefix("-") ? s.dropFirst() : Substring(s)
                if digits.isEmpty || !digits.allSatisfy(\.isASCII) || !digits.allSatisfy(\.isNumber) {
                    out.append("\(path): expected integer nanoseconds in a string, got \(s.debugDescription)")
                }
            } else if pattern == "<float>" {
                if !["NaN", "+Inf", "-Inf", "Inf"].contains(s) && Double(s) == nil {
                    out.append("\(path): expected a float in a string, got \(s.debugDescription)")
                }
            }
        case .number:
            guard case .number = actual else { return out.append("\(path): expected number, got \(actual.kind)") }
            if shape.isIntegerLiteral && !actual.isIntegerLiteral { out.append("\(path): expected an integer, got \(actual.kind)") }
        case .bool:
            guard case .bool = actual else { return out.append("\(path): expected bool, got \(actual.kind)") }
        case .null:
            guard case .null = actual else { return out.append("\(path): expected null, got \(actual.kind)") }
        }
    }
}

/// A strict RFC 8259 reader: no trailing commas, no comments, bounded depth.
struct JSONTextParser {
    let bytes: [UInt8]
    var at = 0

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func failure(_ what: String) -> Failure { Failure(description: "\(what) at byte \(at)") }

    mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < 256 else { throw failure("nesting too deep") }
        skipSpace()
        guard at < bytes.count else { throw failure("unexpected end") }
        switch bytes[at] {
        case UInt8(ascii: "{"):
            at += 1
            var members: [JSONValue.Member] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object([]) }
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                try expect(":")
                members.append(.init(key: key, value: try value(depth: depth + 1)))
                skipSpace()
                if try endOrComma("}") { return .object(members) }
            }
        case UInt8(ascii: "["):
            at += 1
            var elements: [JSONValue] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array([]) }
            while true {
                elements.append(try value(depth: depth + 1))
                skipSpace()
                if try endOrComma("]") { return .array(elements) }
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        guard at < bytes.count, bytes[at] == UInt8(ascii: c) else { throw failure("expected \"\(c)\"") }
        at += 1
    }

    mutating func endOrComma(_ close: Unicode.Scalar) throws -> Bool {
        guard at < bytes.count else { throw failure("unexpected end") }
        if bytes[at] == UInt8(ascii: close) { at += 1; return true }
        try expect(",")
        return false
    }

    mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard at + w.count <= bytes.count, Array(bytes[at..<at + w.count]) == w else { throw failure("bad literal") }
        at += w.count
    }

    mutating func number() throws -> String {
        let start = at
        func digits() -> Int { let s = at; while at < bytes.count, (0x30...0x39).contains(bytes[at]) { at += 1 }; return at - s }
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
        let intStart = at
        guard digits() > 0 else { throw failure("bad number") }
        if bytes[intStart] == UInt8(ascii: "0"), at - intStart > 1 { throw failure("leading zero") }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") { at += 1; guard digits() > 0 else { throw failure("bad fraction") } }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw failure("bad exponent") }
        }
        return String(decoding: bytes[start..<at], as: UTF8.self)
    }

    mutating func string() throws -> String {
        try expect("\"")
        var out: [UInt8] = []
        while true {
            guard at < bytes.count else { throw failure("unterminated string") }
            let c = bytes[at]
            at += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw failure("invalid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard at < bytes.count else { throw failure("unterminated escape") }
                let e = bytes[at]
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        try literal("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw failure("bad escape")
                }
            default:
                guard c >= 0x20 else { throw failure("control character in string") }
                out.append(c)
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard at + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else {
            throw failure("bad \\u escape")
        }
        at += 4
        return v
    }
}
