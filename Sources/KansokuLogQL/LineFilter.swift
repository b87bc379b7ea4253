import KansokuCore

/// A compiled line filter alternative: literal searches wherever the regex allows, RE2 otherwise.
enum LineMatcher: @unchecked Sendable {
    case all
    case literal([UInt8])
    case foldedLiteral([UInt8])
    case anyLiteral([[UInt8]])
    case regex(RE2Regex)
    case pattern(PatternMatcher)
    case ip(IPMatcher)

    func matches(_ line: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .all: return true
        case .literal(let n): return n.withUnsafeBytes { ByteSearch.contains($0, in: line) }
        case .foldedLiteral(let n): return n.withUnsafeBytes { ByteSearch.containsFolded($0, in: line) }
        case .anyLiteral(let ns):
            for n in ns where n.withUnsafeBytes({ ByteSearch.contains($0, in: line) }) { return true }
            return false
        case .regex(let r): return r.matches(line)
        case .pattern(let p): return p.test(line)
        case .ip(let m): return m.matches(line: line)
        }
    }

    /// A literal every matching line must contain, for block skipping (lower-cased when folded).
    var requiredLiteral: (bytes: [UInt8], folded: Bool)? {
        switch self {
        case .literal(let n) where !n.isEmpty: return (n, false)
        case .foldedLiteral(let n) where !n.isEmpty: return (n, true)
        default: return nil
        }
    }
}

/// One compiled line filter stage: any alternative matching passes (negated: none may match).
struct CompiledLineFilter: Sendable {
    let negated: Bool
    let alternatives: [LineMatcher]

    init(_ f: LineFilterExpr) throws(LogQLError) {
        negated = f.op.negated
        var alts: [LineMatcher] = []
        for v in f.values {
            switch v {
            case .ip(let s):
                guard f.op == .contains || f.op == .notContains else {
                    throw .execution("ip: invalid operation: ip() can only be used with |= and != line filters, not \(f.op.rawValue)")
                }
                do { alts.append(.ip(try IPMatcher(s))) } catch { throw .execution("ip: invalid pattern: \(s)") }
            case .string(let s):
                switch f.op {
                case .contains, .notContains: alts.append(s.isEmpty ? .all : .literal(Array(s.utf8)))
                case .regex, .notRegex: alts.append(try RegexSimplifier.compile(s))
                case .pattern, .notPattern:
                    do { alts.append(.pattern(try PatternMatcher(s, forLineFilter: true))) } catch { throw .validation(error.message) }
                }
            }
        }
        // Several plain literals fold into one any-of search.
        if alts.count > 1, alts.allSatisfy({ if case .literal = $0 { return true } else { return false } }) {
            alts = [.anyLiteral(alts.map { if case .literal(let n) = $0 { return n } else { return [] } })]
        }
        alternatives = alts
    }

    @inline(__always) func keep(_ line: UnsafeRawBufferPointer) -> Bool {
        var hit = false
        for a in alternatives where a.matches(line) { hit = true; break }
        return hit != negated
    }

    var requiredLiteral: (bytes: [UInt8], folded: Bool)? {
        guard !negated, alternatives.count == 1 else { return nil }
        return alternatives[0].requiredLiteral
    }
}

/// Turns simple regexes into literal searches, as Loki does: `foo`, `foo|bar`, `(?i)foo`,
/// `.*foo.*`.
enum RegexSimplifier {
    static func compile(_ pattern: String) throws(LogQLError) -> LineMatcher {
        if let m = simplify(pattern) { return m }
        do { return .regex(try RE2Regex(pattern)) } catch { throw .validation(RegexMessages.goStyle(error, pattern: pattern)) }
    }

    static func simplify(_ pattern: String) -> LineMatcher? {
        var p = Substring(pattern)
        var folded = false
        if p.hasPrefix("(?i)") { folded = true; p = p.dropFirst(4) }
        while p.hasPrefix(".*") { p = p.dropFirst(2) }
        while p.hasSuffix(".*"), !p.hasSuffix("\\.*") { p = p.dropLast(2) }
        if p.isEmpty { return .all }
        var alternatives: [[UInt8]] = []
        var cur: [UInt8] = []
        let b = Array(p.utf8)
        var i = 0
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") {
                guard i + 1 < b.count else { return nil }
                let e = b[i + 1]
                // only escaped punctuation is a literal
                guard !(Lexer.isIdentChar(e)) else { return nil }
                cur.append(e); i += 2; continue
            }
            if c == UInt8(ascii: "|") {
                if cur.isEmpty { return nil }
                alternatives.append(cur); cur = []; i += 1; continue
            }
            if ".+*?()[]{}^$".utf8.contains(c) { return nil }
            cur.append(c); i += 1
        }
        if cur.isEmpty { return nil }
        alternatives.append(cur)
        if folded {
            guard alternatives.count == 1, alternatives[0].allSatisfy({ $0 < 0x80 }) else { return nil }
            return .foldedLiteral(alternatives[0].map(ByteSearch.lower))
        }
        return alternatives.count == 1 ? .literal(alternatives[0]) : .anyLiteral(alternatives)
    }
}
