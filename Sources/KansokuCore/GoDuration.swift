/// Go's `time.Duration` text: what `time.ParseDuration` reads (`1.5s`, `250µs`, `-1h2m`) and
/// what `Duration.String()` writes (`1h15m30.918273645s`, `20ms`, `0s`). LogQL reads it in
/// label filters, `unwrap duration()` and templates; Loki writes it in limit messages.
/// Prometheus's own duration syntax (`1d`, `1w`) is `PromDuration`.
public enum GoDuration {
    private static let units: [(String, Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// Nanoseconds, or nil where `time.ParseDuration` fails (`goError` says why).
    public static func parse(_ s: String) -> Int64? {
        var b = Array(s.utf8)
        var negative = false
        if let f = b.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") {
            negative = f == UInt8(ascii: "-")
            b.removeFirst()
        }
        if b == [UInt8(ascii: "0")] { return 0 }
        guard !b.isEmpty else { return nil }
        var i = 0
        var total = 0.0
        while i < b.count {
            let numberStart = i
            while i < b.count, isNumberByte(b[i]) { i += 1 }
            guard i > numberStart, let v = Double(String(decoding: b[numberStart..<i], as: UTF8.self)) else { return nil }
            let unitStart = i
            while i < b.count, !isNumberByte(b[i]) { i += 1 }
            let unit = String(decoding: b[unitStart..<i], as: UTF8.self)
            guard let multiplier = units.first(where: { $0.0 == unit })?.1 else { return nil }
            total += v * multiplier
        }
        guard total < 9.3e18 else { return nil }
        let ns = Int64(total.rounded())
        return negative ? -ns : ns
    }

    /// Go's error text for a value `parse` rejects.
    public static func parseError(_ s: String) -> String {
        let b = Array(s.utf8)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        while i < b.count {
            let numberStart = i
            while i < b.count, isNumberByte(b[i]) { i += 1 }
            if i == numberStart { return "time: invalid duration \(goQuoted(s))" }
            let unitStart = i
            while i < b.count, !isNumberByte(b[i]) { i += 1 }
            let unit = String(decoding: b[unitStart..<i], as: UTF8.self)
            if unit.isEmpty { return "time: missing unit in duration \(goQuoted(s))" }
            if !units.contains(where: { $0.0 == unit }) {
                return "time: unknown unit \(goQuoted(unit)) in duration \(goQuoted(s))"
            }
        }
        return "time: invalid duration \(goQuoted(s))"
    }

    private static func isNumberByte(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ".")
    }

    /// `Duration.String()` of `ns` nanoseconds.
    public static func format(_ ns: Int64) -> String {
        if ns == 0 { return "0s" }
        var u = ns.magnitude
        var out: String
        if u < 1_000_000_000 {
            let (unit, div): (String, UInt64) = u < 1000 ? ("ns", 1) : u < 1_000_000 ? ("µs", 1000) : ("ms", 1_000_000)
            out = fraction(u, div) + unit
        } else {
            let h = u / 3_600_000_000_000
            u -= h * 3_600_000_000_000
            let m = u / 60_000_000_000
            u -= m * 60_000_000_000
            let secs = fraction(u, 1_000_000_000) + "s"
            out = h > 0 ? "\(h)h\(m)m" + secs : m > 0 ? "\(m)m" + secs : secs
        }
        return ns < 0 ? "-" + out : out
    }

    /// `v / div` with the fraction's trailing zeros dropped.
    private static func fraction(_ v: UInt64, _ div: UInt64) -> String {
        let whole = v / div, rest = v % div
        guard rest > 0 else { return "\(whole)" }
        var digits = String(rest)
        digits = String(repeating: "0", count: String(div).count - 1 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
