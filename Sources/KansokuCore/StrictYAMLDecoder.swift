import Foundation
import Yams

/// A key in a YAML file that no field of the type it configures reads: a typo or a key put
/// in the wrong section, which would otherwise be ignored without a word.
public struct UnknownYAMLKey: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// Where the key is, e.g. `metrics.targets[0].scrape_intervall`.
    public var keyPath: String
    public var key: String
    /// The valid key of that section it most resembles.
    public var suggestion: String?

    public var description: String {
        "\(file):\(line):\(column): unknown key \(keyPath)" + (suggestion.map { ", did you mean `\($0)`?" } ?? "")
    }
}

/// Every unknown key of a file, in file order.
public struct UnknownYAMLKeys: Error, Sendable, CustomStringConvertible {
    public var keys: [UnknownYAMLKey]
    public var description: String { keys.map(\.description).joined(separator: "\n") }
}

/// Decodes a `Decodable` from YAML as Yams's `YAMLDecoder` does, and refuses keys that the
/// type never reads. A mapping's key is valid when a keyed container the type opens on it
/// accepts it (`CodingKeys(stringValue:)`); the keys the type asks for are the candidates of
/// the "did you mean" hint. Types that decode one mapping through several key sets, or
/// through dynamic keys (dictionaries, one-key stage maps), are judged by all of them, so
/// nothing needs a second, hand-kept list of valid keys that could drift from the code.
/// Yams has no such mode, hence this decoder.
public enum StrictYAMLDecoder {
    /// Decodes `type` from `yaml`. Throws `UnknownYAMLKeys` when there are unknown keys (even
    /// if decoding failed for another reason, since a misspelt key is the likelier cause),
    /// else Yams's `YamlError` for syntax and `DecodingError` for values.
    public static func decode<T: Decodable>(_ type: T.Type, from yaml: String, file: String) throws -> T {
        let ledger = KeyLedger()
        let root = try Yams.compose(yaml: yaml) ?? Node.mapping(Node.Mapping([]))
        let result: Result<T, any Error>
        do {
            result = .success(try T(from: NodeDecoder(node: root, codingPath: [], ledger: ledger)))
        } catch {
            result = .failure(error)
        }
        let unknown = ledger.unknownKeys(file: file)
        if !unknown.isEmpty { throw UnknownYAMLKeys(keys: unknown) }
        return try result.get()
    }
}

/// What the decoding learnt about each mapping: its keys, which of them some container
/// accepts, and which keys the type asked for.
final class KeyLedger {
    struct Record {
        var path: [any CodingKey]
        var keys: [(name: String, mark: Mark?)]
        var accepted: Set<String> = []
        var asked: Set<String> = []
    }

    var records: [String: Record] = [:]

    static func pathText(_ path: [any CodingKey]) -> String {
        var out = ""
        for k in path {
            if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : "." + k.stringValue }
        }
        return out
    }

    func open<Key: CodingKey>(_ keyType: Key.Type, path: [any CodingKey], keys: [(name: String, mark: Mark?)]) {
        let id = Self.pathText(path)
        var r = records[id] ?? Record(path: path, keys: keys)
        for k in keys where Key(stringValue: k.name) != nil { r.accepted.insert(k.name) }
        records[id] = r
    }

    func asked(_ key: String, path: [any CodingKey]) {
        records[Self.pathText(path)]?.asked.insert(key)
    }

    func unknownKeys(file: String) -> [UnknownYAMLKey] {
        var out: [UnknownYAMLKey] = []
        for r in records.values {
            for k in r.keys where !r.accepted.contains(k.name) {
                let prefix = Self.pathText(r.path)
                out.append(UnknownYAMLKey(file: file, line: k.mark?.line ?? 1, column: k.mark?.column ?? 1,
                                          keyPath: prefix.isEmpty ? k.name : prefix + "." + k.name, key: k.name,
                                          suggestion: closestName(to: k.name, among: r.asked.union(r.accepted))))
            }
        }
        return out.sorted { ($0.line, $0.column, $0.keyPath) < ($1.line, $1.column, $1.keyPath) }
    }
}

struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { intValue.map(String.init) ?? "" }
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct NodeDecoder: Decoder, SingleValueDecodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    let ledger: KeyLedger
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func child(_ node: Node, _ key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key], ledger: ledger)
    }

    var whereText: String { node.mark.map { "line \($0.line), column \($0.column)" } ?? "the start" }

    func mismatch(_ expected: Any.Type) -> DecodingError {
        let found: String
        switch node {
        case .scalar(let s): found = "\"\(s.string)\""
        case .mapping: found = "a mapping"
        case .sequence: found = "a list"
        case .alias: found = "an alias"
        }
        return .typeMismatch(expected, .init(codingPath: codingPath, debugDescription: "expected \(expected) at \(whereText), found \(found)"))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let mapping) = node else { throw mismatch([String: Any].self) }
        let pairs = Self.flatten(mapping)
        ledger.open(type, path: codingPath, keys: pairs.map { ($0.name, $0.keyMark) })
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(decoder: self, pairs: pairs))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .sequence(let sequence) = node else { throw mismatch([Any].self) }
        return UnkeyedNodeContainer(decoder: self, elements: Array(sequence))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// A mapping's pairs with YAML merge keys (`<<: *defaults`) applied: keys written in the
    /// mapping win over merged ones.
    static func flatten(_ mapping: Node.Mapping) -> [(name: String, keyMark: Mark?, value: Node)] {
        var own: [(name: String, keyMark: Mark?, value: Node)] = []
        var merged: [(name: String, keyMark: Mark?, value: Node)] = []
        for (k, v) in mapping {
            let name = k.string ?? ""
            if name == "<<", k.scalar?.style == .plain {
                let sources: [Node] = v.sequence.map { Array($0) } ?? [v]
                for case .mapping(let m) in sources { merged += flatten(m) }
            } else {
                own.append((name, k.mark, v))
            }
        }
        let names = Set(own.map(\.name))
        return own + merged.filter { !names.contains($0.name) }
    }

    // MARK: single value

    func decodeNil() -> Bool {
        guard case .scalar(let s) = node else { return false }
        return NSNull.construct(from: s) != nil
    }

    func scalar<T: ScalarConstructible>(_ type: T.Type) throws -> T {
        guard case .scalar(let s) = node, let v = T.construct(from: s) else { throw mismatch(type) }
        return v
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let wide = try? scalar(Int64.self), let v = T(exactly: wide) else { throw mismatch(type) }
        return v
    }

    func decode(_ type: Bool.Type) throws -> Bool { try scalar(type) }
    func decode(_ type: String.Type) throws -> String { try scalar(type) }
    func decode(_ type: Double.Type) throws -> Double { try scalar(type) }
    func decode(_ type: Float.Type) throws -> Float { try scalar(type) }
    func decode(_ type: Int.Type) throws -> Int { try scalar(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try scalar(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try scalar(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try scalar(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let constructible = type as? any ScalarConstructible.Type {
            guard case .scalar(let s) = node, let v = constructible.construct(from: s) as? T else { throw mismatch(type) }
            return v
        }
        return try T(from: self)
    }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let pairs: [(name: String, keyMark: Mark?, value: Node)]

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { pairs.compactMap { Key(stringValue: $0.name) } }

    func value(_ key: Key) -> Node? {
        decoder.ledger.asked(key.stringValue, path: codingPath)
        return pairs.first { $0.name == key.stringValue }?.value
    }

    func child(_ key: Key) throws -> NodeDecoder {
        guard let node = value(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required key \"\(key.stringValue)\" is missing at \(decoder.whereText)"))
        }
        return decoder.child(node, key)
    }

    func contains(_ key: Key) -> Bool { value(key) != nil }
    func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let elements: [Node]
    var currentIndex = 0

    init(decoder: NodeDecoder, elements: [Node]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "the list ends here"))
        }
        defer { currentIndex += 1 }
        return decoder.child(elements[currentIndex], IndexKey(currentIndex))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, decoder.child(elements[currentIndex], IndexKey(currentIndex)).decodeNil() else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}
