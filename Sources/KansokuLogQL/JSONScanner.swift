/// A small JSON reader over raw bytes for the `json` and `unpack` stages: walks objects,
/// returns value ranges, unescapes strings. No intermediate tree.
struct JSONScanner {
    let b: UnsafeRawBufferPointer
    var i = 0

    struct Invalid: Error { let offset: Int }

    init(_ bytes: UnsafeRawBufferPointer) { b = bytes }

    mutating func skipSpace() {
        while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 }
    }

    enum Kind { case string, number, bool, null, array, object }

    /// The deepest nesting of arrays and objects accepted in a line; deeper lines are
    /// malformed for `json`/`unpack` (Loki's JSON reader also stops at a depth limit).
    static let maxDepth = 256

    /// Skips one value, returning its kind and byte range. Containers are walked with an
    /// explicit stack, so a hostile line costs no call stack.
    mutating func value() throws(Invalid) -> (Kind, Range<Int>) {
        skipSpace()
        guard i < b.count else { throw Invalid(offset: i) }
        let s = i
        switch b[i] {
        case UInt8(ascii: "\""):
            try skipString()
            return (.string, s..<i)
        case UInt8(ascii: "{"):
            try skipContainer()
            return (.object, s..<i)
        case UInt8(ascii: "["):
            try skipContainer()
            return (.array, s..<i)
        default:
            return try scalar()
        }
    }

    private mutating func scalar() throws(Invalid) -> (Kind, Range<Int>) {
        let s = i
        switch b[i] {
        case UInt8(ascii: "\""): try skipString(); return (.string, s..<i)
        case UInt8(ascii: "t"): try literal("true"); return (.bool, s..<i)
        case UInt8(ascii: "f"): try literal("false"); return (.bool, s..<i)
        case UInt8(ascii: "n"): try literal("null"); return (.null, s..<i)
        default:
            while i < b.count, "+-0123456789.eE".utf8.contains(b[i]) { i += 1 }
            guard i > s else { throw Invalid(offset: i) }
            return (.number, s..<i)
        }
    }

    /// Skips the object or array at the cursor; `closers` holds the bytes still to close.
    private mutating func skipContainer() throws(Invalid) {
        var closers: [UInt8] = []
        var expectingValue = true
        while true {
            skipSpace()
            guard i < b.count else { throw Invalid(offset: i) }
            if expectingValue {
                let c = b[i]
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                    guard closers.count < Self.maxDepth else { throw Invalid(offset: i) }
                    i += 1
                    skipSpace()
                    if i < b.count, b[i] == close {
                        i += 1
                        expectingValue = false
                    } else {
                        closers.append(close)
                        if close == UInt8(ascii: "}") { try memberKey() }
                        continue
                    }
                } else {
                    _ = try scalar()
                    expectingValue = false
                }
            } else {
                guard let close = closers.last else { return }
                if b[i] == UInt8(ascii: ",") {
                    i += 1
                    if close == UInt8(ascii: "}") { try memberKey() }
                    expectingValue = true
                } else if b[i] == close {
                    i += 1
                    closers.removeLast()
                } else {
                    throw Invalid(offset: i)
                }
            }
            if !expectingValue && closers.isEmpty { return }
        }
    }

    /// `"key":` inside an object.
    private mutating func memberKey() throws(Invalid) {
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Invalid(offset: i) }
        try skipString()
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Invalid(offset: i) }
        i += 1
    }

    mutating func literal(_ word: StaticString) throws(Invalid) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw Invalid(offset: i) }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { throw Invalid(offset: i) }
        i += n
    }

    mutating func skipString() throws(Invalid) {
        i += 1
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\\") { i += 2; continue }
            if c == UInt8(ascii: "\"") { i += 1; return }
            i += 1
        }
        throw Invalid(offset: i)
    }

    /// Iterates the members of the object starting at the cursor.
    mutating func members(_ body: (Range<Int>, Kind, Range<Int>) throws(Invalid) -> Void) throws(Invalid) {
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw Invalid(offset: i) }
        i += 1
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Invalid(offset: i) }
            let ks = i
            try skipString()
            let key = ks..<i
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Invalid(offset: i) }
            i += 1
            let (kind, r) = try value()
            try body(key, kind, r)
            skipSpace()
            guard i < b.count else { throw Invalid(offset: i) }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return }
            throw Invalid(offset: i)
        }
    }

    /// The unescaped text of the string token at `r` (quotes included in `r`).
    func string(_ r: Range<Int>) -> String {
        let inner = UnsafeRawBufferPointer(rebasing: b[(r.lowerBound + 1)..<(r.upperBound - 1)])
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var k = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= inner.count else { return nil }
            var v: UInt32 = 0
            for j in 0..<4 {
                let c = inner[at + j]
                let d: UInt32
                switch c {
                case 48...57: d = UInt32(c - 48)
                case 97...102: d = UInt32(c - 87)
                case 65...70: d = UInt32(c - 55)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        while k < inner.count {
            let c = inner[k]
            guard c == UInt8(ascii: "\\"), k + 1 < inner.count else { out.append(c); k += 1; continue }
            let e = inner[k + 1]
            k += 2
            switch e {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                guard var v = hex4(k) else { out.append(e); continue }
                k += 4
                if v >= 0xD800, v < 0xDC00, k + 6 <= inner.count, inner[k] == UInt8(ascii: "\\"), inner[k + 1] == UInt8(ascii: "u"),
                   let lo = hex4(k + 2), lo >= 0xDC00, lo < 0xE000 {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    k += 6
                }
                out.append(contentsOf: Array(String(Unicode.Scalar(v) ?? "\u{FFFD}").utf8))
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func text(_ r: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self) }
}

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
