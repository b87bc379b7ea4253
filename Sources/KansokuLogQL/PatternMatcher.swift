/// Loki's pattern language: literals and `<name>` captures (`<_>` captures nothing).
/// `|>` filters use `test` (the whole line must fit); `| pattern` uses `captures`.
public struct PatternMatcher: Sendable {
    enum Node: Sendable, Equatable {
        case literal([UInt8])
        case capture(String)
    }

    struct PatternError: Error { let message: String }

    let nodes: [Node]
    /// Names of the named captures, in order.
    public let names: [String]

    /// Splits a pattern into nodes (low-level grammar: anything not `<ident>` is literal).
    static func nodes(of pattern: String) -> [Node] {
        let b = Array(pattern.utf8)
        var out: [Node] = []
        var lit: [UInt8] = []
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "<") {
                var j = i + 1
                if j < b.count, Lexer.isIdentStart(b[j]) {
                    j += 1
                    while j < b.count, Lexer.isIdentChar(b[j]) { j += 1 }
                    if j < b.count, b[j] == UInt8(ascii: ">") {
                        if !lit.isEmpty { out.append(.literal(lit)); lit = [] }
                        out.append(.capture(String(decoding: b[(i + 1)..<j], as: UTF8.self)))
                        i = j + 1
                        continue
                    }
                }
            }
            lit.append(b[i])
            i += 1
        }
        if !lit.isEmpty { out.append(.literal(lit)) }
        return out
    }

    init(_ pattern: String, forLineFilter: Bool) throws(PatternError) {
        let ns = Self.nodes(of: pattern)
        var names: [String] = []
        var prevCapture = false
        for n in ns {
            switch n {
            case .capture(let name):
                if forLineFilter, name != "_" {
                    throw PatternError(message: "named captures are not allowed in pattern line filters: \(pattern)")
                }
                if prevCapture, !forLineFilter {
                    throw PatternError(message: "found consecutive capture '\(name)': \(pattern)")
                }
                if name != "_" {
                    if names.contains(name) { throw PatternError(message: "duplicate capture name (\(name)): \(pattern)") }
                    names.append(name)
                }
                prevCapture = true
            case .literal:
                prevCapture = false
            }
        }
        if !forLineFilter, names.isEmpty {
            throw PatternError(message: "at least one capture is required: \(pattern)")
        }
        nodes = ns
        self.names = names
    }

    /// Whether the whole line fits the pattern (each `<_>` must cover at least one byte).
    public func test(_ line: UnsafeRawBufferPointer) -> Bool {
        if line.isEmpty || nodes.isEmpty { return line.isEmpty && nodes.isEmpty }
        var off = 0
        for (i, n) in nodes.enumerated() {
            guard case .literal(let lit) = n else { continue }
            guard let j = ByteSearch.index(of: lit, in: line, from: off) else { return false }
            let rel = j - off
            if i == 0 && rel != 0 { return false }
            if i != 0 && rel == 0 { return false }
            off = j + lit.count
        }
        if case .literal = nodes[nodes.count - 1] { return off == line.count }
        return off != line.count
    }

    /// Captured byte ranges for the named captures, in order (fewer when the line ends early;
    /// nil when a leading literal does not match).
    public func captures(_ line: UnsafeRawBufferPointer) -> [Range<Int>]? {
        if line.isEmpty || nodes.isEmpty { return nil }
        var out: [Range<Int>] = []
        var pos = 0
        var k = 0
        if case .literal(let lit) = nodes[0] {
            guard ByteSearch.index(of: lit, in: line, from: 0) == 0 else { return nil }
            pos = lit.count
            k = 1
        }
        if k == nodes.count { return nil }
        while k < nodes.count {
            guard case .capture(let name) = nodes[k] else { return out }
            if k == nodes.count - 1 {
                if name != "_" { out.append(pos..<line.count) }
                return out
            }
            guard case .literal(let lit) = nodes[k + 1] else { return out }
            k += 2
            guard let i = ByteSearch.index(of: lit, in: line, from: pos) else {
                if name != "_" { out.append(pos..<line.count) }
                return out
            }
            if name != "_" { out.append(pos..<i) }
            pos = i + lit.count
        }
        return out
    }
}
