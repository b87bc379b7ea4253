import KansokuCore

struct SyntaxMessage: Error { let message: String }

/// Duration syntaxes LogQL accepts: Prometheus's (`1h30m`, `1d`, `1w`) for ranges and
/// offsets, and additionally Go's (`1.5s`, `250µs`) inside label filters.
enum DurationParsing {
    static let promUnits: [(String, Int64)] = [
        ("y", 365 * 86_400_000_000_000), ("w", 7 * 86_400_000_000_000), ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
    ]

    /// Prometheus duration to nanoseconds, with Prometheus's error messages.
    static func parseProm(_ s: String) -> Result<Int64, SyntaxMessage> {
        if s.isEmpty { return .failure(SyntaxMessage(message: "empty duration string")) }
        if s == "0" { return .success(0) }
        let b = Array(s.utf8)
        var i = 0, total: Int64 = 0, last = -1
        while i < b.count {
            var n: Int64 = 0, digits = 0
            while i < b.count, Lexer.isDigit(b[i]) {
                n = n &* 10 &+ Int64(b[i] - 48); i += 1; digits += 1
            }
            if digits == 0 { return .failure(SyntaxMessage(message: "not a valid duration string: \(goQuoted(s))")) }
            var u = i
            while u < b.count, !Lexer.isDigit(b[u]) { u += 1 }
            let unit = String(decoding: b[i..<u], as: UTF8.self)
            if unit.isEmpty { return .failure(SyntaxMessage(message: "missing unit in duration \(goQuoted(s))")) }
            guard let idx = promUnits.firstIndex(where: { $0.0 == unit }) else {
                return .failure(SyntaxMessage(message: "unknown unit \(goQuoted(unit)) in duration \(goQuoted(s))"))
            }
            if idx <= last { return .failure(SyntaxMessage(message: "not a valid duration string: \(goQuoted(s))")) }
            last = idx
            total = total &+ n &* promUnits[idx].1
            i = u
        }
        return .success(total)
    }

    /// Go's `time.ParseDuration` (no sign handling beyond a leading `-`/`+`).
    static func parseGo(_ s: String) -> Int64? {
        var b = Array(s.utf8)
        var neg = false
        if let f = b.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { neg = f == UInt8(ascii: "-"); b.removeFirst() }
        if b == [UInt8(ascii: "0")] { return 0 }
        guard !b.isEmpty else { return nil }
        var i = 0
        var total = 0.0
        while i < b.count {
            let s0 = i
            while i < b.count, Lexer.isDigit(b[i]) || b[i] == UInt8(ascii: ".") { i += 1 }
            guard i > s0, let v = Double(String(decoding: b[s0..<i], as: UTF8.self)) else { return nil }
            let u0 = i
            while i < b.count, !Lexer.isDigit(b[i]), b[i] != UInt8(ascii: ".") { i += 1 }
            let unit = String(decoding: b[u0..<i], as: UTF8.self)
            let mult: Double
            switch unit {
            case "ns": mult = 1
            case "us", "µs", "μs": mult = 1e3
            case "ms": mult = 1e6
            case "s": mult = 1e9
            case "m": mult = 60e9
            case "h": mult = 3600e9
            default: return nil
            }
            total += v * mult
        }
        guard total < 9.3e18 else { return nil }
        let ns = Int64(total.rounded())
        return neg ? -ns : ns
    }

    /// Go's error text for a value `parseGo` rejects.
    static func goError(_ s: String) -> String {
        let b = Array(s.utf8)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        while i < b.count {
            let s0 = i
            while i < b.count, Lexer.isDigit(b[i]) || b[i] == UInt8(ascii: ".") { i += 1 }
            if i == s0 { return "time: invalid duration \(goQuoted(s))" }
            let u0 = i
            while i < b.count, !Lexer.isDigit(b[i]), b[i] != UInt8(ascii: ".") { i += 1 }
            let unit = String(decoding: b[u0..<i], as: UTF8.self)
            if unit.isEmpty { return "time: missing unit in duration \(goQuoted(s))" }
            if !["ns", "us", "µs", "μs", "ms", "s", "m", "h"].contains(unit) {
                return "time: unknown unit \(goQuoted(unit)) in duration \(goQuoted(s))"
            }
        }
        return "time: invalid duration \(goQuoted(s))"
    }

    /// Prometheus syntax first, then Go's (what Loki's lexer does for DURATION tokens).
    static func parseAny(_ s: String) -> Int64? {
        if case .success(let ns) = parseProm(s) { return ns }
        return parseGo(s)
    }

    /// Go's `time.Duration.String()`: `1h15m30.918273645s`, `20ms`, `0s`.
    static func goString(_ d: Int64) -> String {
        if d == 0 { return "0s" }
        let neg = d < 0
        var u = UInt64(d.magnitude)
        var out = ""
        if u < 1_000_000_000 {
            let (unit, div): (String, UInt64) = u < 1000 ? ("ns", 1) : u < 1_000_000 ? ("µs", 1000) : ("ms", 1_000_000)
            out = fraction(u, div) + unit
        } else {
            let h = u / 3_600_000_000_000
            u -= h * 3_600_000_000_000
            let m = u / 60_000_000_000
            u -= m * 60_000_000_000
            let secs = fraction(u, 1_000_000_000) + "s"
            if h > 0 { out = "\(h)h\(m)m" + secs } else if m > 0 { out = "\(m)m" + secs } else { out = secs }
        }
        return neg ? "-" + out : out
    }

    private static func fraction(_ v: UInt64, _ div: UInt64) -> String {
        let whole = v / div
        var frac = v % div
        if frac == 0 { return "\(whole)" }
        var digits = 0, d = div
        while d > 1 { d /= 10; digits += 1 }
        var s = String(frac)
        s = String(repeating: "0", count: digits - s.count) + s
        while s.hasSuffix("0") { s.removeLast() }
        frac = 0
        return "\(whole).\(s)"
    }
}

import Foundation

func formatFixed(_ v: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", v) }

/// Go's `%v` for a float64 (shortest round-trip, exponent outside [1e-4, 1e21)).
func goFloat(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == 0 { return v.sign == .minus ? "-0" : "0" }
    let a = abs(v)
    if a >= 1e21 || a < 1e-4 {
        // Swift prints 1e+21 as "1e+21"; Go prints exponents with at least two digits.
        var s = "\(v)"
        if let r = s.range(of: "e") {
            var mant = String(s[s.startIndex..<r.lowerBound])
            if mant.hasSuffix(".0") { mant.removeLast(2) }
            var exp = String(s[r.upperBound...])
            var sign = "+"
            if exp.hasPrefix("-") { sign = "-"; exp.removeFirst() } else if exp.hasPrefix("+") { exp.removeFirst() }
            if exp.count < 2 { exp = "0" + exp }
            s = mant + "e" + sign + exp
        }
        return s
    }
    return goFloatF(v)
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
func goFloatF(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    var s = "\(v)"
    if s.contains("e") {
        // expand exponent notation
        let d = Decimal(string: s) ?? Decimal(v)
        s = "\(d)"
    }
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

/// Go's `strconv.ParseFloat`: decimal, hex floats with a `p` exponent, Inf and NaN.
func parseGoFloat(_ s: String) -> Double? {
    let t = s.replacingOccurrences(of: "_", with: "")
    let lower = t.lowercased()
    var body = lower
    if body.hasPrefix("+") || body.hasPrefix("-") { body.removeFirst() }
    if body.hasPrefix("0x") {
        guard body.contains("p") else { return nil }
        return Double(t)
    }
    if body.hasPrefix("0b") || body.hasPrefix("0o") { return nil }
    if ["inf", "infinity"].contains(body) { return lower.hasPrefix("-") ? -.infinity : .infinity }
    if body == "nan" { return .nan }
    return Double(t)
}
