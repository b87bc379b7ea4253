/// Floats printed exactly as Go's `strconv` prints them, which is how Prometheus, Loki, Sloth
/// and Go templates write numbers. Swift's `description` yields the same shortest round-trip
/// digits as Go; only the layout differs, so both forms start from those digits.
public enum GoFloat {
    /// `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an exponent.
    /// Prometheus's HTTP API prints sample values this way ("1", "0.1", "1000000", "+Inf",
    /// "-Inf", "NaN").
    public static func fixed(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        let (digits, dp) = shortestDigits(v)
        var out = v < 0 ? "-" : ""
        let nd = digits.count
        if dp <= 0 {
            out += "0." + String(repeating: "0", count: -dp) + String(decoding: digits, as: UTF8.self)
        } else if dp >= nd {
            out += String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: dp - nd)
        } else {
            out += String(decoding: digits[0..<dp], as: UTF8.self) + "." + String(decoding: digits[dp...], as: UTF8.self)
        }
        return out
    }

    /// `fmt.Sprint(v)`, `%v`, `strconv.FormatFloat(v, 'g', -1, 64)`: shortest round-trip
    /// digits, in exponent form when the decimal exponent is below -4 or at least 6 (`1e+06`,
    /// `1e-05`), plain decimals otherwise (`0.0009999999999999432`, `14.4`, `30`). How PromQL
    /// prints number literals and Go templates print floats.
    public static func shortest(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        let (digits, dp) = shortestDigits(v)
        guard dp - 1 < -4 || dp - 1 >= 6 else { return fixed(v) }
        return exponentForm(negative: v < 0, digits, exponent: dp - 1)
    }

    /// `strconv.FormatFloat(v, 'e', -1, 64)`: shortest round-trip digits, always in exponent
    /// form (`1e+00`, `1.5e-03`, `NaN`, `+Inf`). Prometheus's rules API prints alert values so.
    public static func exponent(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 { return v.sign == .minus ? "-0e+00" : "0e+00" }
        let (digits, dp) = shortestDigits(v)
        return exponentForm(negative: v < 0, digits, exponent: dp - 1)
    }

    /// `d.ddde±XX`, with at least two exponent digits as Go writes them.
    private static func exponentForm(negative: Bool, _ digits: [UInt8], exponent exp: Int) -> String {
        var out = negative ? "-" : ""
        out += String(UnicodeScalar(digits[0]))
        if digits.count > 1 { out += "." + String(decoding: digits[1...], as: UTF8.self) }
        out += exp < 0 ? "e-" : "e+"
        let e = abs(exp)
        out += e < 10 ? "0\(e)" : "\(e)"
        return out
    }

    /// The shortest decimal digits that round-trip `v` and the decimal point position:
    /// |v| = 0.d1d2d3… × 10^dp.
    static func shortestDigits(_ v: Double) -> ([UInt8], Int) {
        let text = Array(abs(v).description.utf8)
        var mantissa = text[...]
        var exp = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = text[..<e]
            exp = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
        }
        var digits: [UInt8] = []
        var dp = 0
        var seenPoint = false
        for c in mantissa {
            if c == UInt8(ascii: ".") { seenPoint = true; continue }
            digits.append(c)
            if !seenPoint { dp += 1 }
        }
        // Strip leading zeros (each shifts the point left) and trailing zeros.
        var lead = 0
        while lead < digits.count - 1, digits[lead] == UInt8(ascii: "0") { lead += 1 }
        digits.removeFirst(lead)
        dp -= lead
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, dp + exp)
    }
}
