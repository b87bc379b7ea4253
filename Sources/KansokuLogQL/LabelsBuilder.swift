public import KansokuCore

/// The label set of one entry while a pipeline runs: the stream's labels, then structured
/// metadata, then labels parsers and formatters add. Names clash in that order of precedence:
/// a later source that reuses a name gets `_extracted` appended.
public struct LabelsBuilder: Sendable {
    public static let errorLabel = "__error__"
    public static let errorDetailsLabel = "__error_details__"

    let base: Labels
    var metadataNames: Set<String> = []
    /// Labels set after the stream's, in insertion order.
    var added: [String: String] = [:]
    var deleted: Set<String> = []

    public init(base: Labels) { self.base = base }

    /// Adds structured metadata (a name the stream already has gets `_extracted`).
    mutating func addMetadata(_ md: Labels) {
        for l in md {
            let name = base[l.name] != nil ? l.name + "_extracted" : l.name
            metadataNames.insert(name)
            added[name] = l.value
        }
    }

    /// The name a parser should use for `name`.
    func parsedName(_ name: String) -> String {
        if base[name] != nil || metadataNames.contains(name) { return name + "_extracted" }
        return name
    }

    public func get(_ name: String) -> String? {
        if let v = added[name] { return v }
        if deleted.contains(name) { return nil }
        return base[name]
    }

    mutating func set(_ name: String, _ value: String) {
        added[name] = value
        deleted.remove(name)
    }

    mutating func delete(_ name: String) {
        added[name] = nil
        if base[name] != nil { deleted.insert(name) }
    }

    var hasError: Bool { added[Self.errorLabel] != nil }

    mutating func setError(_ kind: String, details: String) {
        if hasError { return }
        added[Self.errorLabel] = kind
        if !details.isEmpty { added[Self.errorDetailsLabel] = details }
    }

    /// Every current name and value (for templates).
    func map() -> [String: String] {
        var m: [String: String] = [:]
        for l in base where !deleted.contains(l.name) { m[l.name] = l.value }
        for (k, v) in added { m[k] = v }
        return m
    }

    /// The final, sorted label set.
    public func labels() -> Labels {
        if added.isEmpty && deleted.isEmpty { return base }
        var out: [Label] = []
        out.reserveCapacity(base.count + added.count)
        for l in base where !deleted.contains(l.name) && added[l.name] == nil { out.append(l) }
        for (k, v) in added { out.append(Label(name: k, value: v)) }
        out.sort { $0.name < $1.name }
        return Labels(sorted: out)
    }
}

/// Label names parsers produce: `[a-zA-Z_][a-zA-Z0-9_]*`, other bytes become `_`, a leading
/// digit gets a `_` prefix.
func sanitizeLabelName(_ bytes: UnsafeRawBufferPointer) -> String {
    var out = [UInt8]()
    out.reserveCapacity(bytes.count + 1)
    for (i, b) in bytes.enumerated() {
        if i == 0, Lexer.isDigit(b) { out.append(UInt8(ascii: "_")) }
        out.append(Lexer.isIdentChar(b) ? b : UInt8(ascii: "_"))
    }
    return String(decoding: out, as: UTF8.self)
}

func sanitizeLabelName(_ s: String) -> String {
    var s = s
    return s.withUTF8 { sanitizeLabelName(UnsafeRawBufferPointer($0)) }
}
