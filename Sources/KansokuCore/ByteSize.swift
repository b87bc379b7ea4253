import Foundation

/// Human byte sizes as Loki and Promtail read and print them (go-humanize: `10GB`, `1.5KiB`,
/// `20 MB`, `1,000`): the one parser behind LogQL's bytes literals and `bytes()` filters,
/// Promtail-style pipeline settings and the `limits:` section.
public enum ByteSize {
    static let units: [String: Double] = [
        "b": 1, "": 1,
        "k": 1e3, "kb": 1e3, "ki": 1024, "kib": 1024,
        "m": 1e6, "mb": 1e6, "mi": 1048576, "mib": 1048576,
        "g": 1e9, "gb": 1e9, "gi": 1073741824, "gib": 1073741824,
        "t": 1e12, "tb": 1e12, "ti": 1099511627776, "tib": 1099511627776,
        "p": 1e15, "pb": 1e15, "pi": 1125899906842624, "pib": 1125899906842624,
        "e": 1e18, "eb": 1e18, "ei": 1152921504606846976, "eib": 1152921504606846976,
    ]

    /// The size `s` names (`KB` decimal, `KiB` binary, a bare number is bytes); nil when it
    /// is not a size or does not fit 64 bits.
    public static func parse(_ s: String) -> UInt64? {
        let b = Array(s.utf8.drop { $0 == 32 })
        var i = 0
        var digits: [UInt8] = []
        while i < b.count, (b[i] >= 48 && b[i] <= 57) || b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
            if b[i] != UInt8(ascii: ",") { digits.append(b[i]) }
            i += 1
        }
        guard i > 0, let n = Double(String(decoding: digits, as: UTF8.self)) else { return nil }
        while i < b.count, b[i] == 32 { i += 1 }
        var end = b.count
        while end > i, b[end - 1] == 32 { end -= 1 }
        guard let m = units[String(decoding: b[i..<end], as: UTF8.self).lowercased()] else { return nil }
        let v = n * m
        guard v < 1.8e19 else { return nil }
        return UInt64(v)
    }

    /// `parse` for settings held in an `Int`: nil past `Int.max` as well.
    public static func parseInt(_ s: String) -> Int? {
        parse(s).flatMap { Int(exactly: $0) }
    }

    /// `humanize.Bytes` without the space: SI units, one decimal below 10.
    public static func format(_ v: UInt64) -> String {
        if v < 10 { return "\(v)B" }
        let sizes = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        let e = Int((log(Double(v)) / log(1000.0)).rounded(.down))
        let val = (Double(v) / pow(1000.0, Double(e)) * 10 + 0.5).rounded(.down) / 10
        return String(format: val < 10 ? "%.1f" : "%.0f", val) + sizes[e]
    }
}
