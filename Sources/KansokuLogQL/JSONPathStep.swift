/// A JSONPath-like expression of `| json name="a.b[0]"`: field names and array indexes.
enum JSONPathStep: Sendable, Hashable {
    case field(String)
    case index(Int)

    static func parse(_ expr: String) -> [JSONPathStep]? {
        let b = Array(expr.utf8)
        var out: [JSONPathStep] = []
        var i = 0
        var cur: [UInt8] = []
        func flush() { if !cur.isEmpty { out.append(.field(String(decoding: cur, as: UTF8.self))); cur = [] } }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: ".") { flush(); i += 1; continue }
            if c == UInt8(ascii: "[") {
                flush()
                i += 1
                guard i < b.count else { return nil }
                if b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") {
                    let q = b[i]
                    i += 1
                    let s = i
                    while i < b.count, b[i] != q { i += 1 }
                    guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "]") else { return nil }
                    out.append(.field(String(decoding: b[s..<i], as: UTF8.self)))
                    i += 2
                } else {
                    let s = i
                    while i < b.count, Lexer.isDigit(b[i]) { i += 1 }
                    guard i > s, i < b.count, b[i] == UInt8(ascii: "]"), let n = Int(String(decoding: b[s..<i], as: UTF8.self)) else { return nil }
                    out.append(.index(n))
                    i += 1
                }
                continue
            }
            if c == UInt8(ascii: "]") { return nil }
            cur.append(c)
            i += 1
        }
        flush()
        return out.isEmpty ? nil : out
    }
}
