import KansokuCore

/// The kinds of token in a PromQL query.
enum TokenKind: Equatable, Sendable {
    case eof
    case identifier        // label names, function names, keywords not otherwise classified
    case metricIdentifier  // identifiers containing ':'
    case number
    case duration
    case string
    case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
    case comma, colon, at
    case assign        // =
    case eqlRegex, neqRegex
    case binary(BinaryOp)
    case keyword(Keyword)
    case aggregator(AggregateOp)
}

/// Reserved words of the language (matched case-insensitively, like Prometheus).
enum Keyword: String, Sendable {
    case by, without, on, ignoring, groupLeft = "group_left", groupRight = "group_right"
    case bool, offset, start, end
}

struct Token: Sendable {
    var kind: TokenKind
    /// Byte offsets into the query.
    var start: Int
    var end: Int
    var text: String
}

/// Turns a query into tokens. Works on UTF-8 bytes; token texts are sliced out only once.
struct Lexer {
    let bytes: [UInt8]
    let query: String
    var pos = 0
    /// Depth of `{…}`: inside braces every word is a label name, never a keyword.
    var braceDepth = 0
    /// Whether the previous token was `@`, where `start`/`end` are keywords.
    var afterAt = false

    init(_ query: String) {
        self.query = query
        bytes = Array(query.utf8)
    }

    func error(_ message: String, at offset: Int) -> PromQLError {
        .parse(position: SourcePosition(offset: offset, in: query), message: message)
    }

    mutating func tokenize() throws(PromQLError) -> [Token] {
        var out: [Token] = []
        while true {
            let t = try next()
            out.append(t)
            if t.kind == .eof { return out }
        }
    }

    private func text(_ s: Int, _ e: Int) -> String { String(decoding: bytes[s..<e], as: UTF8.self) }

    mutating func next() throws(PromQLError) -> Token {
        skipSpaceAndComments()
        let s = pos
        guard pos < bytes.count else { return Token(kind: .eof, start: s, end: s, text: "") }
        let c = bytes[pos]
        let wasAfterAt = afterAt
        afterAt = false
        func tok(_ k: TokenKind, _ n: Int) -> Token {
            pos += n
            return Token(kind: k, start: s, end: pos, text: text(s, pos))
        }
        let n1: UInt8 = pos + 1 < bytes.count ? bytes[pos + 1] : 0
        switch c {
        case UInt8(ascii: "("): return tok(.leftParen, 1)
        case UInt8(ascii: ")"): return tok(.rightParen, 1)
        case UInt8(ascii: "{"): braceDepth += 1; return tok(.leftBrace, 1)
        case UInt8(ascii: "}"): braceDepth = max(0, braceDepth - 1); return tok(.rightBrace, 1)
        case UInt8(ascii: "["): return tok(.leftBracket, 1)
        case UInt8(ascii: "]"): return tok(.rightBracket, 1)
        case UInt8(ascii: ","): return tok(.comma, 1)
        case UInt8(ascii: ":"):
            if braceDepth == 0, isIdentStart(n1) || n1 == UInt8(ascii: ":") { return lexIdentifier(from: s) }
            return tok(.colon, 1)
        case UInt8(ascii: "@"): afterAt = true; return tok(.at, 1)
        case UInt8(ascii: "+"): return tok(.binary(.add), 1)
        case UInt8(ascii: "-"): return tok(.binary(.sub), 1)
        case UInt8(ascii: "*"): return tok(.binary(.mul), 1)
        case UInt8(ascii: "/"): return tok(.binary(.div), 1)
        case UInt8(ascii: "%"): return tok(.binary(.mod), 1)
        case UInt8(ascii: "^"): return tok(.binary(.pow), 1)
        case UInt8(ascii: "="):
            if n1 == UInt8(ascii: "=") { return tok(.binary(.eql), 2) }
            if n1 == UInt8(ascii: "~") { return tok(.eqlRegex, 2) }
            return tok(.assign, 1)
        case UInt8(ascii: "!"):
            if n1 == UInt8(ascii: "=") { return tok(.binary(.neq), 2) }
            if n1 == UInt8(ascii: "~") { return tok(.neqRegex, 2) }
            throw error("unexpected character after '!': \(quoteChar(n1))", at: s)
        case UInt8(ascii: "<"):
            return n1 == UInt8(ascii: "=") ? tok(.binary(.lte), 2) : tok(.binary(.lss), 1)
        case UInt8(ascii: ">"):
            return n1 == UInt8(ascii: "=") ? tok(.binary(.gte), 2) : tok(.binary(.gtr), 1)
        case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
            return try lexString(quote: c)
        default:
            if isDigit(c) || (c == UInt8(ascii: ".") && isDigit(n1)) { return try lexNumberOrDuration() }
            if isIdentStart(c) {
                var t = lexIdentifier(from: s)
                if t.kind == .identifier, braceDepth == 0 {
                    let lower = t.text.lowercased()
                    if lower == "inf" || lower == "nan" {
                        t.kind = .number
                    } else if let k = Keyword(rawValue: lower) {
                        if k == .start || k == .end {
                            if wasAfterAt { t.kind = .keyword(k) }
                        } else {
                            t.kind = .keyword(k)
                        }
                    } else if let op = AggregateOp(rawValue: lower) {
                        t.kind = .aggregator(op)
                    } else if lower == "and" { t.kind = .binary(.and)
                    } else if lower == "or" { t.kind = .binary(.or)
                    } else if lower == "unless" { t.kind = .binary(.unless)
                    } else if lower == "atan2" { t.kind = .binary(.atan2)
                    }
                }
                return t
            }
            throw error("unexpected character: \(quoteChar(c))", at: s)
        }
    }

    private func quoteChar(_ c: UInt8) -> String {
        c == 0 ? "end of input" : "'" + String(UnicodeScalar(c)) + "'"
    }

    private mutating func skipSpaceAndComments() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 32 || c == 9 || c == 10 || c == 13 {
                pos += 1
            } else if c == UInt8(ascii: "#") {
                while pos < bytes.count, bytes[pos] != 10 { pos += 1 }
            } else {
                return
            }
        }
    }

    private mutating func lexIdentifier(from s: Int) -> Token {
        var hasColon = false
        while pos < bytes.count {
            let c = bytes[pos]
            if isIdentStart(c) || isDigit(c) {
                pos += 1
            } else if c == UInt8(ascii: ":"), braceDepth == 0 {
                hasColon = true
                pos += 1
            } else {
                break
            }
        }
        return Token(kind: hasColon ? .metricIdentifier : .identifier, start: s, end: pos, text: text(s, pos))
    }

    private mutating func lexNumberOrDuration() throws(PromQLError) -> Token {
        let s = pos
        // A duration is one or more <digits><unit> groups.
        if let end = scanDuration(from: pos) {
            pos = end
            return Token(kind: .duration, start: s, end: pos, text: text(s, pos))
        }
        if bytes[pos] == UInt8(ascii: "0"), pos + 1 < bytes.count, bytes[pos + 1] | 0x20 == UInt8(ascii: "x") {
            pos += 2
            while pos < bytes.count, isHex(bytes[pos]) { pos += 1 }
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
                pos += 1
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
            if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
                var p = pos + 1
                if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
                if p < bytes.count, isDigit(bytes[p]) {
                    pos = p
                    while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
                }
            }
        }
        if pos < bytes.count, isIdentStart(bytes[pos]) || isDigit(bytes[pos]) {
            while pos < bytes.count, isIdentStart(bytes[pos]) || isDigit(bytes[pos]) { pos += 1 }
            throw error("bad number or duration syntax: \"\(text(s, pos))\"", at: s)
        }
        return Token(kind: .number, start: s, end: pos, text: text(s, pos))
    }

    private func scanDuration(from start: Int) -> Int? {
        var p = start, groups = 0
        while p < bytes.count, isDigit(bytes[p]) {
            var q = p
            while q < bytes.count, isDigit(bytes[q]) { q += 1 }
            guard q < bytes.count else { return nil }
            let u = bytes[q]
            if u == UInt8(ascii: "m"), q + 1 < bytes.count, bytes[q + 1] == UInt8(ascii: "s") {
                q += 2
            } else if "smhdwy".utf8.contains(u) {
                q += 1
            } else {
                return nil
            }
            groups += 1
            p = q
        }
        guard groups > 0 else { return nil }
        if p < bytes.count, isIdentStart(bytes[p]) || bytes[p] == UInt8(ascii: ".") { return nil }
        return p
    }

    /// A string literal, unquoted by `GoString` (Go's escapes, as Prometheus has them); an
    /// error is placed at the escape's backslash, or at the opening quote when the string
    /// does not end on its line.
    private mutating func lexString(quote: UInt8) throws(PromQLError) -> Token {
        let s = pos
        var j = pos + 1
        if quote == UInt8(ascii: "`") {
            while j < bytes.count, bytes[j] != quote { j += 1 }
            guard j < bytes.count else { throw error("unterminated raw string", at: s) }
        } else {
            // The closing quote; a backslash takes the next byte with it, unless that byte
            // ends the line (then the escape itself is the error).
            while j < bytes.count, bytes[j] != quote, bytes[j] != 10 {
                if bytes[j] == UInt8(ascii: "\\"), j + 1 < bytes.count, bytes[j + 1] != 10 { j += 1 }
                j += 1
            }
        }
        let closed = j < bytes.count && bytes[j] == quote
        var value: [UInt8] = []
        if quote == UInt8(ascii: "`") {
            _ = bytes.withUnsafeBytes { GoString.unquote(UnsafeRawBufferPointer(rebasing: $0[s...j]), into: &value) }
        } else {
            // An unclosed string's body runs to its newline, included, so an escape just
            // before it is reported as such.
            let bodyEnd = closed ? j : min(j + 1, bytes.count)
            let result: Result<Void, GoString.EscapeError> = bytes.withUnsafeBytes { buf in
                do throws(GoString.EscapeError) {
                    try GoString.unescape(UnsafeRawBufferPointer(rebasing: buf[(s + 1)..<bodyEnd]), quote: quote, into: &value)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            if case .failure(let e) = result {
                let at = s + 1 + e.offset
                switch e.kind {
                case .unknown: throw error("unknown escape sequence", at: at)
                case .invalid: throw error("invalid escape sequence", at: at)
                case .invalidCodePoint: throw error("invalid Unicode code point in escape sequence", at: at)
                case .truncated: throw error("unterminated quoted string", at: s)
                }
            }
            guard closed else { throw error("unterminated quoted string", at: s) }
        }
        pos = j + 1
        return Token(kind: .string, start: s, end: pos, text: String(decoding: value, as: UTF8.self))
    }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 97 && c | 0x20 <= 102) }
@inline(__always) func isIdentStart(_ c: UInt8) -> Bool {
    (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
}
