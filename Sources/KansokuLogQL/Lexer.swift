import KansokuCore
/// Splits LogQL text into tokens the way Loki's lexer does: keywords are case-insensitive,
/// function names are keywords only before `(`, numbers followed by a unit become durations or
/// byte sizes, and `[5m]` is one RANGE token.
public struct Lexer {
    let src: [UInt8]
    var pos = 0
    var line = 1
    var column = 1

    public init(_ text: String) { src = Array(text.utf8) }
    public init(bytes: [UInt8]) { src = bytes }

    /// All tokens up to (not including) the end.
    public static func tokenize(_ text: String) throws(LogQLError) -> [Token] {
        try tokenize(bytes: Array(text.utf8))
    }

    public static func tokenize(bytes: [UInt8]) throws(LogQLError) -> [Token] {
        var lx = Lexer(bytes: bytes)
        var out: [Token] = []
        while true {
            let t = try lx.next()
            if t.kind == .eof { return out }
            out.append(t)
        }
    }

    private func peek(_ k: Int = 0) -> UInt8? { pos + k < src.count ? src[pos + k] : nil }

    private mutating func advance() {
        let b = src[pos]
        pos += 1
        if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
    }

    private mutating func advance(_ n: Int) { for _ in 0..<n { advance() } }

    static func isIdentStart(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 || b == 95 }
    static func isIdentChar(_ b: UInt8) -> Bool { isIdentStart(b) || (b >= 48 && b <= 57) }
    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }

    public mutating func next() throws(LogQLError) -> Token {
        // whitespace and comments
        while let b = peek() {
            if Self.isSpace(b) { advance(); continue }
            if b == UInt8(ascii: "#") {
                while let c = peek(), c != 0x0A { advance() }
                continue
            }
            break
        }
        let startLine = line, startCol = column
        guard let b = peek() else { return Token(kind: .eof, text: "", line: startLine, column: startCol) }

        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "`") || b == UInt8(ascii: "'") {
            return try lexString(quote: b, line: startLine, col: startCol)
        }
        if Self.isDigit(b) || (b == UInt8(ascii: ".") && peek(1).map(Self.isDigit) == true) {
            return try lexNumber(line: startLine, col: startCol)
        }
        if b == UInt8(ascii: "[") {
            advance()
            let s = pos
            while let c = peek(), c != UInt8(ascii: "]") { advance() }
            guard peek() != nil else {
                throw .parse(message: "missing closing ']' in duration", line: 0, column: startCol)
            }
            let text = String(decoding: src[s..<pos], as: UTF8.self)
            advance()
            switch DurationParsing.parseProm(text) {
            case .success(let ns): return Token(kind: .range, text: text, line: 0, column: startCol, duration: ns)
            case .failure(let e): throw .parse(message: e.message, line: 0, column: startCol)
            }
        }
        if b == UInt8(ascii: "-") {
            if peek(1) == UInt8(ascii: "-"), let c = peek(2), Self.isIdentStart(c) {
                // --flag
                var e = pos + 2
                while e < src.count, Self.isIdentChar(src[e]) || src[e] == UInt8(ascii: "-") { e += 1 }
                if e > pos + 2 {
                    let text = String(decoding: src[pos..<e], as: UTF8.self)
                    advance(e - pos)
                    return Token(kind: .functionFlag, text: text, line: 0, column: startCol)
                }
            }
            if let n = peek(1), Self.isDigit(n) {
                // negative duration like -1s
                var e = pos + 1
                while e < src.count, Self.isDigit(src[e]) || src[e] == UInt8(ascii: ".") { e += 1 }
                if let (end, ns) = scanDuration(numberEnd: e), let ns {
                    let text = String(decoding: src[pos..<end], as: UTF8.self)
                    advance(end - pos)
                    return Token(kind: .duration, text: text, line: 0, column: startCol, duration: -ns)
                }
            }
        }
        if Self.isIdentStart(b) {
            var e = pos
            while e < src.count, Self.isIdentChar(src[e]) { e += 1 }
            let text = String(decoding: src[pos..<e], as: UTF8.self)
            let lower = text.lowercased()
            advance(e - pos)
            if let f = TokenKind.functions[lower] {
                if isFunctionFollowing(aggregation: f) {
                    return Token(kind: f, text: text, line: startLine, column: startCol)
                }
                return Token(kind: .identifier, text: text, line: startLine, column: startCol)
            }
            if let k = TokenKind.keywords[lower] {
                return Token(kind: k, text: text, line: startLine, column: startCol)
            }
            return Token(kind: .identifier, text: text, line: startLine, column: startCol)
        }
        if let n = peek(1) {
            let two = String(decoding: [b, n], as: UTF8.self)
            if let k = TokenKind.operators2[two] {
                advance(2)
                return Token(kind: k, text: two, line: 0, column: startCol)
            }
        }
        if let k = TokenKind.operators1[b] {
            advance()
            return Token(kind: k, text: String(UnicodeScalar(b)), line: startLine, column: startCol)
        }
        // Unknown character: Loki's lexer returns it as an identifier-like char token.
        var e = pos + 1
        while e < src.count, src[e] & 0xC0 == 0x80 { e += 1 }
        let text = String(decoding: src[pos..<e], as: UTF8.self)
        advance(e - pos)
        return Token(kind: .identifier, text: text, line: startLine, column: startCol)
    }

    /// Function names are tokens only before `(`; aggregations also before `by`/`without`.
    private func isFunctionFollowing(aggregation kind: TokenKind) -> Bool {
        var i = pos
        while i < src.count, Self.isSpace(src[i]) { i += 1 }
        guard i < src.count else { return false }
        if src[i] == UInt8(ascii: "(") { return true }
        var e = i
        while e < src.count, Self.isIdentChar(src[e]) { e += 1 }
        let word = String(decoding: src[i..<e], as: UTF8.self).lowercased()
        return word == "by" || word == "without"
    }

    private mutating func lexString(quote: UInt8, line l: Int, col c: Int) throws(LogQLError) -> Token {
        var i = pos + 1
        var closed = false
        while i < src.count {
            let ch = src[i]
            if quote != UInt8(ascii: "`") {
                if ch == 0x0A { break }
                if ch == UInt8(ascii: "\\") { i += 2; continue }
            }
            if ch == quote { closed = true; break }
            i += 1
        }
        guard closed, i < src.count else { throw .parse(message: "literal not terminated", line: l, column: c) }
        let raw = Array(src[pos...i])
        advance(i + 1 - pos)
        guard let _ = String(validating: raw, as: UTF8.self) else {
            throw .parse(message: "invalid UTF-8 encoding", line: l, column: c)
        }
        switch GoString.unquote(raw) {
        case .success(let s): return Token(kind: .string, text: s, line: l, column: c)
        case .failure(let e): throw .parse(message: e.description, line: l, column: c)
        }
    }

    private mutating func lexNumber(line l: Int, col c: Int) throws(LogQLError) -> Token {
        var e = pos
        // Go scanner number: hex/octal/binary prefixes, digits, fraction, exponent, underscores.
        if src[e] == UInt8(ascii: "0"), e + 1 < src.count, [UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "b"), UInt8(ascii: "B"), UInt8(ascii: "o"), UInt8(ascii: "O")].contains(src[e + 1]) {
            let hex = (src[e + 1] | 0x20) == UInt8(ascii: "x")
            let kind = src[e + 1] | 0x20
            let firstDigit: UInt8? = e + 2 < src.count ? src[e + 2] : nil
            let validDigit: Bool = firstDigit.map { d in
                kind == UInt8(ascii: "x") ? (Self.isDigit(d) || ((d | 0x20) >= 97 && (d | 0x20) <= 102) || d == UInt8(ascii: "."))
                    : kind == UInt8(ascii: "b") ? (d == 48 || d == 49) : (d >= 48 && d <= 55)
            } ?? false
            e += validDigit ? 2 : 1
            while e < src.count {
                let ch = src[e]
                if Self.isDigit(ch) || ch == 95 || (hex && ((ch | 0x20) >= 97 && (ch | 0x20) <= 102)) || ch == UInt8(ascii: ".") { e += 1; continue }
                if hex, (ch | 0x20) == UInt8(ascii: "p") {
                    e += 1
                    if e < src.count, src[e] == UInt8(ascii: "+") || src[e] == UInt8(ascii: "-") { e += 1 }
                    while e < src.count, Self.isDigit(src[e]) { e += 1 }
                }
                break
            }
        } else {
            while e < src.count, Self.isDigit(src[e]) || src[e] == 95 { e += 1 }
            if e < src.count, src[e] == UInt8(ascii: ".") {
                e += 1
                while e < src.count, Self.isDigit(src[e]) { e += 1 }
            }
            if e < src.count, (src[e] | 0x20) == UInt8(ascii: "e") {
                var k = e + 1
                if k < src.count, src[k] == UInt8(ascii: "+") || src[k] == UInt8(ascii: "-") { k += 1 }
                if k < src.count, Self.isDigit(src[k]) {
                    while k < src.count, Self.isDigit(src[k]) { k += 1 }
                    e = k
                }
            }
        }
        if let (end, ns) = scanDuration(numberEnd: e), let ns {
            let text = String(decoding: src[pos..<end], as: UTF8.self)
            advance(end - pos)
            return Token(kind: .duration, text: text, line: 0, column: c, duration: ns)
        }
        if let (end, n) = scanBytes(numberEnd: e) {
            let text = String(decoding: src[pos..<end], as: UTF8.self)
            advance(end - pos)
            return Token(kind: .bytes, text: text, line: 0, column: c, bytes: n)
        }
        let text = String(decoding: src[pos..<e], as: UTF8.self)
        advance(e - pos)
        return Token(kind: .number, text: text, line: l, column: c)
    }

    /// A duration continues the number with unit letters, digits and dots up to a space.
    private func scanDuration(numberEnd: Int) -> (Int, Int64?)? {
        var e = numberEnd
        while e < src.count {
            let ch = src[e]
            if Self.isDigit(ch) || ch == UInt8(ascii: ".") || "nsumhdwy".utf8.contains(ch) { e += 1; continue }
            if ch == 0xC2, e + 1 < src.count, src[e + 1] == 0xB5 { e += 2; continue } // µ
            break
        }
        guard e > numberEnd else { return nil }
        let start = src[pos] == UInt8(ascii: "-") ? pos + 1 : pos
        let text = String(decoding: src[start..<e], as: UTF8.self)
        guard let ns = DurationParsing.parseAny(text) else { return nil }
        return (e, ns)
    }

    private func scanBytes(numberEnd: Int) -> (Int, UInt64)? {
        var e = numberEnd
        while e < src.count {
            let ch = src[e]
            if Self.isDigit(ch) || ch == UInt8(ascii: ".") || "bBiIkKmMgGtTpPeE".utf8.contains(ch) { e += 1; continue }
            break
        }
        guard e > numberEnd else { return nil }
        let text = String(decoding: src[pos..<e], as: UTF8.self)
        guard let n = ByteSize.parse(text) else { return nil }
        return (e, n)
    }
}
