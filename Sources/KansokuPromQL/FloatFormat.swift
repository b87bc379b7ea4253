/// Float formatting exactly as Go's `strconv` does, the way Prometheus prints numbers.
public enum PromQLFloatFormat {
    /// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, never an
    /// exponent. Prometheus's HTTP API prints sample values this way ("1", "0.1", "1000000",
    /// "+Inf", "-Inf", "NaN").
    public static func apiString(_ v: Double) -> String {
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

    /// A timestamp in milliseconds as the HTTP API writes it: unix seconds with the
    /// milliseconds as exactly three decimals when not zero (`1435781451.781`, `1435781451.500`,
    /// `1435781451`), which JSON readers take as a number.
    public static func apiTimestamp(_ ms: Int64) -> String {
        var out = ms < 0 ? "-" : ""
        let t = ms < 0 ? -ms : ms
        out += String(t / 1000)
        let fraction = t % 1000
        if fraction != 0 {
            out += "."
            if fraction < 100 { out += "0" }
            if fraction < 10 { out += "0" }
            out += String(fraction)
        }
        return out
    }

    /// Go's `fmt.Sprint(v)` (`%v`: shortest `%g`, exponent form below 1e-4 and from 1e+06): how PromQL prints number literals (`1e+06`, `0.5`, `+Inf`).
    public static func goString(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        let (digits, dp) = shortestDigits(v)
        let exp = dp - 1
        // Go decides by the exponent alone for shortest formatting: %e below 1e-4 and from 1e+06.
        if exp < -4 || exp >= 6 {
            var out = v < 0 ? "-" : ""
            out += String(UnicodeScalar(digits[0]))
            if digits.count > 1 { out += "." + String(decoding: digits[1...], as: UTF8.self) }
            out += exp < 0 ? "e-" : "e+"
            let e = abs(exp)
            out += e < 10 ? "0\(e)" : "\(e)"
            return out
        }
        return apiString(v)
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
