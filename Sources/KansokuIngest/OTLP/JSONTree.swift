import Foundation
import KansokuCore

/// A parsed JSON document, for the OTLP/JSON bodies whose deep nesting (resource → scope →
/// record → attribute → value) reads more clearly as a tree than as a stream. Numbers keep
/// their text so 64-bit integers are not rounded through Double.
indirect enum JSONTree: Sendable {
    case object([(String, JSONTree)])
    case array([JSONTree])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// Containers nested deeper than this are refused.
    static let maxDepth = 128

    static func read(_ s: inout JSONScanner, depth: Int) throws -> JSONTree {
        guard depth < maxDepth else { throw OTLPDecodeError.tooDeep(limit: maxDepth) }
        switch try s.peekKind() {
        case .object:
            var members: [(String, JSONTree)] = []
            try s.forEachMember { s, key, escaped in
                var name: [UInt8] = []
                if escaped { try JSONScanner.unescape(key, into: &name, baseOffset: s.offset) } else { name.append(contentsOf: key) }
                members.append((String(decoding: name, as: UTF8.self), try read(&s, depth: depth + 1)))
            }
            return .object(members)
        case .array:
            var items: [JSONTree] = []
            try s.forEachElement { s, _ in items.append(try read(&s, depth: depth + 1)) }
            return .array(items)
        case .string:
            return .string(try s.readString())
        case .number:
            let range = try s.skipValue()
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[range]), as: UTF8.self))
        case .bool:
            let range = try s.skipValue()
            return .bool(s.bytes[range.lowerBound] == UInt8(ascii: "t"))
        case .null:
            try s.skipValue()
            return .null
        }
    }

    /// The member named `key`, matched ignoring case and underscores (`timeUnixNano` and
    /// `time_unix_nano` alike); nil when absent or null.
    func member(_ key: String) -> JSONTree? {
        guard case .object(let members) = self else { return nil }
        let want = OTLPJSON.normalized(key)
        for (k, v) in members where OTLPJSON.normalized(k) == want {
            if case .null = v { return nil }
            return v
        }
        return nil
    }

    /// An array member; absent means empty.
    func array(_ key: String, path: String) throws(OTLPDecodeError) -> [JSONTree] {
        switch member(key) {
        case nil: return []
        case .array(let items)?: return items
        default: throw .shape(path: path + "." + key, expected: "an array")
        }
    }

    func string(_ key: String, path: String) throws(OTLPDecodeError) -> String? {
        switch member(key) {
        case nil: return nil
        case .string(let s)?: return s
        default: throw .shape(path: path + "." + key, expected: "a string")
        }
    }

    func bool(_ key: String, path: String) throws(OTLPDecodeError) -> Bool? {
        switch member(key) {
        case nil: return nil
        case .bool(let b)?: return b
        default: throw .shape(path: path + "." + key, expected: "true or false")
        }
    }

    func unsigned(_ key: String, path: String) throws(OTLPDecodeError) -> UInt64? {
        guard let v = member(key) else { return nil }
        let text: String
        switch v {
        case .number(let t), .string(let t): text = t
        default: throw .shape(path: path + "." + key, expected: "an unsigned integer")
        }
        guard let n = UInt64(text) else { throw .shape(path: path + "." + key, expected: "an unsigned integer, got \"\(text.prefix(40))\"") }
        return n
    }

    func double(_ key: String, path: String) throws(OTLPDecodeError) -> Double? {
        guard let v = member(key) else { return nil }
        return try v.number(path: path + "." + key)
    }

    /// A 64-bit integer written as a number or a string.
    func integer(path: String) throws(OTLPDecodeError) -> Int64 {
        switch self {
        case .number(let t), .string(let t):
            if let n = Int64(t) { return n }
            throw .shape(path: path, expected: "an integer, got \"\(t.prefix(40))\"")
        default: throw .shape(path: path, expected: "an integer")
        }
    }

    /// A double written as a number, or as a string (`"NaN"`, `"Infinity"`, `"-Infinity"`
    /// or digits), as the protobuf JSON mapping allows.
    func number(path: String) throws(OTLPDecodeError) -> Double {
        switch self {
        case .number(let t), .string(let t):
            switch t {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default:
                if let d = Double(t) { return d }
                throw .shape(path: path, expected: "a number, got \"\(t.prefix(40))\"")
            }
        default: throw .shape(path: path, expected: "a number")
        }
    }
}

/// Base64 as OTLP/JSON writes `bytes` fields.
enum Base64 {
    static func decode(_ s: String) -> [UInt8]? { Data(base64Encoded: s).map { Array($0) } }
    static func encode(_ b: [UInt8]) -> String { Data(b).base64EncodedString() }
}
