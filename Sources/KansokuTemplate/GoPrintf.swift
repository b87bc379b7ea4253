import KansokuCore
import Foundation

/// Go's `fmt.Sprintf` for template values: the verbs `v s q t d b o x X c e E f F g G %`
/// with the flags `-+ 0#`, width and precision. Widths and precisions are sizes to build,
/// so they are held to the template's output bound before any padding is made.
enum GoPrintf {
    struct Spec {
        var minus = false, plus = false, space = false, zero = false, sharp = false
        var width: Int?
        var precision: Int?
    }

    static func format(_ f: String, _ args: [TemplateValue], _ c: TemplateCall) throws(TemplateError) -> String {
        var out = ""
        var argIndex = 0
        let chars = Array(f.unicodeScalars)
        var i = 0
        while i < chars.count {
            guard chars[i] == "%" else { out.unicodeScalars.append(chars[i]); i += 1; continue }
            i += 1
            var spec = Spec()
            flags: while i < chars.count {
                switch chars[i] {
                case "-": spec.minus = true
                case "+": spec.plus = true
                case " ": spec.space = true
                case "0": spec.zero = true
                case "#": spec.sharp = true
                default: break flags
                }
                i += 1
            }
            spec.width = number(chars, &i)
            if i < chars.count, chars[i] == "." {
                i += 1
                spec.precision = number(chars, &i) ?? 0
            }
            guard i < chars.count else { out += "%!(NOVERB)"; break }
            let verb = chars[i]
            i += 1
            if verb == "%" { out += "%"; continue }
            try c.check(spec.width ?? 0)
            try c.check(spec.precision ?? 0)
            try c.check(out.utf8.count)
            guard argIndex < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let a = args[argIndex]
            argIndex += 1
            out += formatted(a, verb, spec, c)
        }
        return out
    }

    /// Decimal digits at `i`, if any; too many to hold is `Int.max`.
    private static func number(_ chars: [Unicode.Scalar], _ i: inout Int) -> Int? {
        var n: Int?
        while i < chars.count, chars[i].value >= 48, chars[i].value <= 57 {
            let d = Int(chars[i].value) - 48
            let (m, o1) = (n ?? 0).multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(d)
            n = o1 || o2 ? .max : s
            i += 1
        }
        return n
    }

    private static func formatted(_ a: TemplateValue, _ verb: Unicode.Scalar, _ spec: Spec, _ c: TemplateCall) -> String {
        switch verb {
        case "v":
            if case .int(let n) = a { return integer(n, 10, verb, spec) }
            if case .float(let d) = a, spec.precision != nil { return float(d, "g", spec) }
            return padded(c.text(a), spec)
        case "s":
            var s = c.text(a)
            if let p = spec.precision { s = String(String.UnicodeScalarView(s.unicodeScalars.prefix(p))) }
            return padded(s, spec)
        case "q": return padded(goQuoted(c.text(a)), spec)
        case "t": return padded(c.text(a), spec)
        case "d", "b", "o", "x", "X", "c", "U":
            if (verb == "x" || verb == "X"), case .string(let s) = a {
                return padded(s.utf8.map { String(format: verb == "X" ? "%02X" : "%02x", $0) }.joined(), spec)
            }
            guard let n = a.asInt else { return bad(verb, a, c) }
            switch verb {
            case "c": return padded(Unicode.Scalar(UInt32(truncatingIfNeeded: n)).map { String($0) } ?? "\u{FFFD}", spec)
            case "U": return padded("U+" + pad(String(n, radix: 16, uppercase: true), to: 4), spec)
            default: return integer(n, verb == "b" ? 2 : verb == "o" ? 8 : verb == "d" ? 10 : 16, verb, spec)
            }
        case "e", "E", "f", "F", "g", "G":
            guard let d = a.asDouble else { return bad(verb, a, c) }
            return float(d, verb, spec)
        default:
            return bad(verb, a, c)
        }
    }

    /// Go's `%!verb(type=value)` for a value the verb does not take.
    private static func bad(_ verb: Unicode.Scalar, _ a: TemplateValue, _ c: TemplateCall) -> String {
        let type: String
        switch a {
        case .string: type = "string"
        case .int: type = "int"
        case .float: type = "float64"
        case .bool: type = "bool"
        case .map: type = "map[string]string"
        case .null: return "%!\(verb)(<nil>)"
        }
        return "%!\(verb)(\(type)=\(c.text(a)))"
    }

    private static func pad(_ s: String, to n: Int) -> String {
        s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }

    private static func integer(_ n: Int64, _ radix: Int, _ verb: Unicode.Scalar, _ spec: Spec) -> String {
        var digits = n == 0 && spec.precision == 0 ? "" : String(n.magnitude, radix: radix, uppercase: verb == "X")
        if let p = spec.precision { digits = pad(digits, to: p) }
        if spec.sharp {
            switch radix {
            case 16: digits = (verb == "X" ? "0X" : "0x") + digits
            case 8 where !digits.hasPrefix("0"): digits = "0" + digits
            case 2: digits = "0b" + digits
            default: break
            }
        }
        let sign = n < 0 ? "-" : spec.plus ? "+" : spec.space ? " " : ""
        return numeric(sign, digits, spec, zeroPad: spec.precision == nil)
    }

    private static func float(_ d: Double, _ verb: Unicode.Scalar, _ spec: Spec) -> String {
        let sign = d.sign == .minus && !d.isNaN ? "-" : spec.plus ? "+" : spec.space ? " " : ""
        if d.isNaN { return padded((spec.plus ? "+" : spec.space ? " " : "") + "NaN", spec) }
        if d.isInfinite { return padded((d < 0 ? "-" : spec.plus || !spec.space ? "+" : " ") + "Inf", spec) }
        var body: String
        if (verb == "g" || verb == "G"), spec.precision == nil {
            body = GoFloat.shortest(d.magnitude)
            if verb == "G" { body = body.uppercased() }
        } else {
            let p = spec.precision ?? 6
            let v = verb == "F" ? "f" : String(verb)
            body = String(format: "%" + (spec.sharp ? "#" : "") + ".\(p)" + v, d.magnitude)
        }
        return numeric(sign, body, spec, zeroPad: true)
    }

    /// Pads a signed number: zeros go between the sign and the digits.
    private static func numeric(_ sign: String, _ digits: String, _ spec: Spec, zeroPad: Bool) -> String {
        let n = sign.count + digits.count
        guard let w = spec.width, n < w else { return sign + digits }
        if spec.minus { return sign + digits + String(repeating: " ", count: w - n) }
        if spec.zero && zeroPad { return sign + String(repeating: "0", count: w - n) + digits }
        return String(repeating: " ", count: w - n) + sign + digits
    }

    private static func padded(_ s: String, _ spec: Spec) -> String {
        let n = s.unicodeScalars.count
        guard let w = spec.width, n < w else { return s }
        if spec.minus { return s + String(repeating: " ", count: w - n) }
        return String(repeating: spec.zero ? "0" : " ", count: w - n) + s
    }
}
