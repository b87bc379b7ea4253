import KansokuCore

/// The words of one `{{ … }}` action.
enum ActionToken: Equatable, CustomStringConvertible {
    case ident(String), field([String]), variable(String, [String]), string(String), number(String)
    case pipe, lparen, rparen, comma, declare, assign, comment

    var description: String {
        switch self {
        case .ident(let s), .number(let s): return s
        case .field(let p): return p.isEmpty ? "." : "." + p.joined(separator: ".")
        case .variable(let n, let p): return "$" + n + p.map { "." + $0 }.joined()
        case .string(let s): return goQuoted(s)
        case .pipe: return "|"
        case .lparen: return "("
        case .rparen: return ")"
        case .comma: return ","
        case .declare: return ":="
        case .assign: return "="
        case .comment: return "comment"
        }
    }
}

struct ActionLexer {
    let b: [UInt8]
    var i = 0
    let line: Int

    init(_ b: ArraySlice<UInt8>, line: Int) { self.b = Array(b); self.line = line }

    static func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 10 || c == 13 }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    static func isIdentStart(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 || c == 95 }
    static func isIdentChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }

    func fail(_ message: String) -> TemplateError { .parse(line: line, message: message) }

    mutating func tokens() throws(TemplateError) -> [ActionToken] {
        var out: [ActionToken] = []
        while i < b.count {
            let c = b[i]
            if Self.isSpace(c) { i += 1; continue }
            if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") { return out.isEmpty ? [.comment] : out + [.comment] }
            switch c {
            case UInt8(ascii: "|"): out.append(.pipe); i += 1; continue
            case UInt8(ascii: "("): out.append(.lparen); i += 1; continue
            case UInt8(ascii: ")"): out.append(.rparen); i += 1; continue
            case UInt8(ascii: "="): out.append(.assign); i += 1; continue
            case UInt8(ascii: ","): out.append(.comma); i += 1; continue
            case UInt8(ascii: ":"):
                guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "=") else { throw fail("expected :=") }
                out.append(.declare); i += 2; continue
            case UInt8(ascii: "\""), UInt8(ascii: "`"), UInt8(ascii: "'"):
                out.append(try quoted(c)); continue
            case UInt8(ascii: "$"):
                i += 1
                let name = identifier()
                out.append(.variable(name, path()))
                continue
            default: break
            }
            let signed = (c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) && i + 1 < b.count
                && (Self.isDigit(b[i + 1]) || b[i + 1] == UInt8(ascii: "."))
            if Self.isDigit(c) || signed || (c == UInt8(ascii: ".") && i + 1 < b.count && Self.isDigit(b[i + 1])) {
                out.append(.number(number())); continue
            }
            if c == UInt8(ascii: ".") { out.append(.field(path())); continue }
            if Self.isIdentStart(c) { out.append(.ident(identifier())); continue }
            throw fail("unexpected \(goQuoted(String(decoding: b[i..<min(i + 1, b.count)], as: UTF8.self))) in command")
        }
        return out
    }

    private mutating func identifier() -> String {
        let s = i
        while i < b.count, Self.isIdentChar(b[i]) { i += 1 }
        return String(decoding: b[s..<i], as: UTF8.self)
    }

    /// `.a.b` (or nothing) after a variable name or at a `.`.
    private mutating func path() -> [String] {
        var parts: [String] = []
        while i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let name = identifier()
            if name.isEmpty { break }
            parts.append(name)
        }
        return parts
    }

    /// A number's text: digits, letters (hex, exponents), dots and an exponent's sign.
    private mutating func number() -> String {
        let s = i
        i += 1
        while i < b.count {
            let c = b[i]
            if Self.isIdentChar(c) || c == UInt8(ascii: ".") { i += 1; continue }
            let prev = b[i - 1] | 0x20
            let hex = i - s > 1 && (b[s + 1] | 0x20) == UInt8(ascii: "x")
            if (c == UInt8(ascii: "-") || c == UInt8(ascii: "+")), prev == UInt8(ascii: "e"), !hex { i += 1; continue }
            break
        }
        return String(decoding: b[s..<i], as: UTF8.self)
    }

    /// A Go string (`"…"`, `` `…` ``) or character constant (`'x'`, a number).
    private mutating func quoted(_ q: UInt8) throws(TemplateError) -> ActionToken {
        var j = i + 1
        while j < b.count, b[j] != q {
            if b[j] == UInt8(ascii: "\\") && q != UInt8(ascii: "`") { j += 1 }
            j += 1
        }
        guard j < b.count else { throw fail("unterminated quoted string") }
        let raw = Array(b[i...j])
        i = j + 1
        guard case .success(let s) = GoString.unquote(raw) else {
            throw fail(q == UInt8(ascii: "'") ? "malformed character constant" : "malformed quoted string")
        }
        if q == UInt8(ascii: "'") {
            guard let sc = s.unicodeScalars.first, s.unicodeScalars.count == 1 else { throw fail("malformed character constant") }
            return .number(String(sc.value))
        }
        return .string(s)
    }
}
