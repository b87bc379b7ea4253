extension GoFloat {
    /// Go's `strconv.ParseFloat(s, 64)`: decimals with an optional exponent, `inf`/`infinity`
    /// with an optional sign and `nan` in any case, and hex floats with a `p` exponent, where
    /// underscores may separate digits. Nil for anything else, including what Swift's own
    /// parser takes but Go does not (`0x10`, `nan(1)`, `1_000`).
    public static func parse(_ s: String) -> Double? {
        let lower = s.lowercased()
        var body = Substring(lower)
        let negative = body.first == "-"
        if body.first == "-" || body.first == "+" { body.removeFirst() }
        switch body {
        case "inf", "infinity": return negative ? -.infinity : .infinity
        case "nan": return s.first == "+" || s.first == "-" ? nil : .nan
        default: break
        }
        if body.hasPrefix("0x") {
            guard body.contains("p") else { return nil }
            return Double(String(s.filter { $0 != "_" }))
        }
        guard !body.isEmpty, body.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) else {
            return nil
        }
        return Double(s)
    }
}
