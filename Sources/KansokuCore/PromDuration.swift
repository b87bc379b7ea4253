/// A Prometheus/Loki duration such as `30s`, `5m`, `1h30m`, `10s53ms`, `1d`, `1w`, `1y`.
/// Held as milliseconds, the finest unit these languages use for ranges and steps.
public struct PromDuration: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    /// Seconds beyond what milliseconds in an Int64 hold (or NaN) saturate instead of trapping.
    public init(seconds: Double) {
        let ms = (seconds * 1000).rounded()
        if ms.isNaN {
            milliseconds = 0
        } else if ms >= 9.223372036854775e18 {
            milliseconds = .max
        } else if ms <= -9.223372036854775e18 {
            milliseconds = -.max
        } else {
            milliseconds = Int64(ms)
        }
    }

    public var seconds: Double { Double(milliseconds) / 1000 }
    /// Saturates at the ends of Int64 for durations longer than ~292 years.
    public var nanoseconds: Int64 {
        let (ns, overflow) = milliseconds.multipliedReportingOverflow(by: 1_000_000)
        return overflow ? (milliseconds < 0 ? .min : .max) : ns
    }

    public static func < (a: PromDuration, b: PromDuration) -> Bool { a.milliseconds < b.milliseconds }

    /// Units from largest to smallest with their length in milliseconds.
    static let units: [(String, Int64)] = [
        ("y", 365 * 24 * 3_600_000), ("w", 7 * 24 * 3_600_000), ("d", 24 * 3_600_000),
        ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// Parses Prometheus duration syntax: one or more `<int><unit>` in decreasing unit order,
    /// or a bare `0`. Returns nil for anything else.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: "0")] { milliseconds = 0; return }
        guard !bytes.isEmpty else { return nil }
        var i = 0, total: Int64 = 0, lastUnit = Int.max
        while i < bytes.count {
            var n: Int64 = 0, digits = 0
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 48))
                if o1 || o2 { return nil }
                n = a; i += 1; digits += 1
            }
            guard digits > 0, i < bytes.count else { return nil }
            var unit = ""
            if bytes[i] == UInt8(ascii: "m"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "s") {
                unit = "ms"; i += 2
            } else {
                unit = String(UnicodeScalar(bytes[i])); i += 1
            }
            guard let idx = Self.units.firstIndex(where: { $0.0 == unit }), idx > lastUnit || lastUnit == Int.max else {
                return nil
            }
            lastUnit = idx
            let (m, o) = n.multipliedReportingOverflow(by: Self.units[idx].1)
            let (sum, o2) = total.addingReportingOverflow(m)
            if o || o2 { return nil }
            total = sum
        }
        milliseconds = total
    }

    /// Parses Prometheus syntax or, as the HTTP APIs also accept, a float number of seconds.
    public init?(durationOrSeconds text: some StringProtocol) {
        if let d = PromDuration(text) { self = d; return }
        guard let s = Double(String(text)), s.isFinite, abs(s) < 9.2e15 else { return nil }
        self.init(seconds: s)
    }

    /// Prometheus's canonical spelling: `1h30m`, `5m`, `0s`.
    public var description: String {
        if milliseconds == 0 { return "0s" }
        var rest = milliseconds < 0 ? -milliseconds : milliseconds
        var out = milliseconds < 0 ? "-" : ""
        for (unit, len) in Self.units where rest >= len {
            out += "\(rest / len)\(unit)"
            rest %= len
        }
        return out
    }
}
