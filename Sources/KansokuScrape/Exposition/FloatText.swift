#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Numbers as exposition formats spell them.
///
/// Accepted: decimal floats `[+-]?(d+[.d*]|.d+)([eE][+-]?d+)?` with any number of leading
/// zeros, and `[+-]?(Inf|Infinity|NaN)` in any case. Rejected, as Prometheus rejects them:
/// hex floats (`0x1p-3`), digit separators (`1_2`), base prefixes (`0b1`, `0o1`).
enum FloatText {
    static func parse(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
        var i = range.lowerBound
        let end = range.upperBound
        guard i < end else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
            guard i < end else { return nil }
        }
        let c = bytes[i] | 0x20
        if c == UInt8(ascii: "i") || c == UInt8(ascii: "n") {
            return parseSpecial(bytes, i..<end, negative: negative)
        }
        // Integer fast path: exact for up to 15 digits.
        var mantissa: UInt64 = 0
        var digits = 0
        let digitsStart = i
        while i < end, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- UInt8(ascii: "0"))
            digits += 1
            i += 1
        }
        if i == end && digits > 0 && digits <= 15 {
            let v = Double(mantissa)
            return negative ? -v : v
        }
        let intDigits = i - digitsStart
        var fracDigits = 0
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i += 1
            let s = i
            while i < end, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            fracDigits = i - s
        }
        guard intDigits + fracDigits > 0 else { return nil }
        if i < end && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < end && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            let s = i
            while i < end, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            guard i > s else { return nil }
        }
        guard i == end else { return nil }
        return strtodBytes(bytes, range)
    }

    private static func parseSpecial(_ bytes: [UInt8], _ range: Range<Int>, negative: Bool) -> Double? {
        let n = range.count
        func matches(_ word: StaticString) -> Bool {
            guard word.utf8CodeUnitCount == n else { return false }
            let w = word.utf8Start
            for k in 0..<n where bytes[range.lowerBound + k] | 0x20 != w[k] { return false }
            return true
        }
        if matches("inf") || matches("infinity") { return negative ? -.infinity : .infinity }
        if matches("nan") { return .nan }
        return nil
    }

    private static func strtodBytes(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buf in
            var k = 0
            for idx in range { buf[k] = CChar(bitPattern: bytes[idx]); k += 1 }
            buf[k] = 0
            var endPtr: UnsafeMutablePointer<CChar>?
            let v = strtod(buf.baseAddress!, &endPtr)
            guard let endPtr, endPtr == buf.baseAddress! + range.count else { return nil }
            return v
        }
    }

    /// `[+-]?\d+` as an Int64 (Prometheus text timestamps, in milliseconds).
    static func parseInt64(_ bytes: [UInt8], _ range: Range<Int>) -> Int64? {
        var i = range.lowerBound
        guard i < range.upperBound else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < range.upperBound else { return nil }
        var v: Int64 = 0
        while i < range.upperBound {
            let b = bytes[i]
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(b - 48)) : m.addingReportingOverflow(Int64(b - 48))
            guard !o1, !o2 else { return nil }
            v = s
            i += 1
        }
        return v
    }

    /// Seconds as a float (OpenMetrics timestamps) to Int64 milliseconds, truncating like
    /// Prometheus and clamping values outside the Int64 range.
    static func milliseconds(fromSeconds s: Double) -> Int64 {
        let ms = s * 1000
        if ms >= 9.2e18 { return .max }
        if ms <= -9.2e18 { return .min }
        return Int64(ms)
    }

    /// Go's `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest text that reads back as `v`,
    /// exponent form when the exponent is < -4 or >= 21, and `+Inf`, `-Inf`, `NaN`.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        // Swift prints the shortest round-trip digits; re-shape them into Go's layout.
        let (negative, digits, exponent) = shortestDigits(v)
        var out = negative ? "-" : ""
        if exponent < -4 || exponent >= 21 {
            out += String(digits.first!)
            if digits.count > 1 { out += "." + digits.dropFirst() }
            out += exponent < 0 ? "e-" : "e+"
            let e = abs(exponent)
            out += e < 10 ? "0\(e)" : "\(e)"
        } else if exponent < 0 {
            out += "0." + String(repeating: "0", count: -exponent - 1) + digits
        } else if digits.count <= exponent + 1 {
            out += digits + String(repeating: "0", count: exponent + 1 - digits.count)
        } else {
            let cut = digits.index(digits.startIndex, offsetBy: exponent + 1)
            out += digits[..<cut] + "." + digits[cut...]
        }
        return out
    }

    /// Significant digits (no leading/trailing zeros) and the decimal exponent of the first one.
    static func shortestDigits(_ v: Double) -> (negative: Bool, digits: String, exponent: Int) {
        var text = abs(v).description          // "1234.5", "1e-05", "1.5e+20"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        var intPart = text
        var fracPart = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            fracPart = String(text[text.index(after: dot)...])
        }
        var all = intPart + fracPart
        var pointExp = intPart.count - 1 + exponent
        while all.first == "0" && all.count > 1 { all.removeFirst(); pointExp -= 1 }
        while all.last == "0" && all.count > 1 { all.removeLast() }
        return (v < 0, all, pointExp)
    }
}
