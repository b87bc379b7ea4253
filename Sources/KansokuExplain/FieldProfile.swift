import Foundation

/// How one dimension's values enter the ranking, decided from all the values it takes in the
/// window and the baseline: few values are kept as they are; identifiers and timestamps are
/// left out (every value is rare, so none can explain anything); numbers with many values are
/// bucketed on a 1-2-5 scale; other values with many forms have their digit runs replaced by
/// `<n>` (paths such as `/live/seg-123.ts`), and are left out if they still take too many.
public enum FieldProfile: Sendable, Equatable {
    case keep
    case numericBuckets
    case digitsNormalised
    case skip(reason: String)

    /// Up to this many distinct values, a dimension is kept as it is.
    static let fewValues = 12
    /// After normalisation, more distinct values than this leave the dimension out.
    static let manyValues = 50

    /// The profile of a dimension taking `values` (one entry per line that has it).
    public static func of(_ values: [String]) -> FieldProfile {
        let distinct = Set(values)
        if distinct.count <= 1 { return .keep }
        let ids = distinct.reduce(0) { $0 + (looksLikeIdentifier($1) ? 1 : 0) }
        if ids * 2 >= distinct.count, distinct.count > 3 { return .skip(reason: "identifiers or timestamps") }
        if distinct.count <= fewValues { return .keep }
        let numeric = distinct.reduce(0) { $0 + (Double($1) != nil ? 1 : 0) }
        if numeric * 10 >= distinct.count * 9 { return .numericBuckets }
        let normalised = Set(distinct.map(normaliseDigits))
        if normalised.count == 1 { return .skip(reason: "values differ only in numbers") }
        if normalised.count <= manyValues { return normalised.count < distinct.count ? .digitsNormalised : .keep }
        return .skip(reason: "\(distinct.count) distinct values")
    }

    /// The value as the ranking counts it.
    public func apply(_ value: String) -> String {
        switch self {
        case .keep, .skip: return value
        case .numericBuckets: return Double(value).map(Self.bucket) ?? value
        case .digitsNormalised: return Self.normaliseDigits(value)
        }
    }

    /// Identifier-like: a UUID or hex run of 8+ with digits and letters, 10+ digits in a row
    /// (unix times, snowflake ids), or an RFC3339 timestamp.
    public static func looksLikeIdentifier(_ v: String) -> Bool {
        let b = Array(v.utf8)
        if b.count >= 19, b[4] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == 0x20, isDigit(b[0]) { return true }
        var hexRun = 0, hexDigits = 0, hexLetters = 0, digitRun = 0
        for c in b {
            if isDigit(c) {
                digitRun += 1
                if digitRun >= 10 { return true }
            } else {
                digitRun = 0
            }
            let lower = c | 0x20
            if isDigit(c) || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f")) {
                hexRun += 1
                if isDigit(c) { hexDigits += 1 } else { hexLetters += 1 }
                if hexRun >= 8, hexDigits > 0, hexLetters > 0 { return true }
            } else if c != UInt8(ascii: "-") {
                hexRun = 0; hexDigits = 0; hexLetters = 0
            }
        }
        return false
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Digit runs replaced by `<n>`.
    /// Works on the UTF-8 bytes (a digit is one byte, never part of a longer character), since
    /// every distinct value of a many-valued field goes through here.
    public static func normaliseDigits(_ v: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(v.utf8.count + 4)
        var inDigits = false
        for c in v.utf8 {
            if isDigit(c) {
                if !inDigits {
                    out.append(UInt8(ascii: "<")); out.append(UInt8(ascii: "n")); out.append(UInt8(ascii: ">"))
                }
                inDigits = true
            } else {
                inDigits = false
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 1-2-5 bucket of `x`, as `[lower,upper)`: 0.37 is `[0.2,0.5)`, 2.4 is `[2,5)`.
    public static func bucket(_ x: Double) -> String {
        guard x.isFinite else { return String(x) }
        if x == 0 { return "0" }
        if x < 0 { return "<0" }
        let e = floor(log10(x))
        let scale = pow(10, e)
        let m = x / scale
        let (lo, hi): (Double, Double) = m < 2 ? (1, 2) : m < 5 ? (2, 5) : (5, 10)
        return "[\(compact(lo * scale)),\(compact(hi * scale)))"
    }

    /// Bounds of a bucket written by `bucket`.
    public static func bounds(ofBucket s: String) -> (Double, Double)? {
        guard s.hasPrefix("["), s.hasSuffix(")") else { return nil }
        let parts = s.dropFirst().dropLast().split(separator: ",")
        guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]) else { return nil }
        return (lo, hi)
    }

    static func compact(_ v: Double) -> String {
        let s = String(format: "%.6g", v)
        return s
    }
}
