import Foundation

/// A point in time as Unix nanoseconds: the unit of log timestamps. Metric code divides by
/// 1e6 for Prometheus's milliseconds.
public typealias UnixNanos = Int64

/// Why a time could not be read.
public enum TimeParseError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let s):
            return "cannot parse \"\(s)\" as a time: expected RFC3339 (2024-01-02T15:04:05Z), unix seconds, or relative (now-1h, 1h)"
        }
    }
}

/// Reads the times users type and the HTTP APIs send.
public enum TimeParser {
    /// Parses RFC3339 (with optional fraction and offset), unix seconds (fractional allowed),
    /// unix nanoseconds (19 digits, as Loki's API sends), `now`, `now-1h`, `now+5m`, or a bare
    /// duration meaning that long ago (`1h` = now-1h).
    public static func parse(_ text: String, now: UnixNanos = currentNanos()) throws(TimeParseError) -> UnixNanos {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "now" { return now }
        if t.hasPrefix("now-") || t.hasPrefix("now+") {
            guard let d = PromDuration(t.dropFirst(4)) else { throw .invalid(text) }
            let (r, o) = t.hasPrefix("now-") ? now.subtractingReportingOverflow(d.nanoseconds) : now.addingReportingOverflow(d.nanoseconds)
            if o { throw .invalid(text) }
            return r
        }
        if let d = PromDuration(t), t != "0" {
            let (r, o) = now.subtractingReportingOverflow(d.nanoseconds)
            if o { throw .invalid(text) }
            return r
        }
        if !t.isEmpty, t.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) {
            if !t.contains("."), t.count >= 18, let ns = Int64(t) { return ns }
            if let ns = unixSecondsToNanos(t) { return ns }
        }
        if let ns = parseRFC3339(t) { return ns }
        throw .invalid(text)
    }

    /// `1704067200.25` → nanoseconds, exactly (a Double would lose the low digits).
    static func unixSecondsToNanos(_ t: String) -> UnixNanos? {
        let parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = Int64(parts[0]) else { return nil }
        var frac: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1].prefix(9)
            guard !digits.isEmpty, let f = Int64(digits) else { return nil }
            frac = f
            for _ in digits.count..<9 { frac *= 10 }
            if whole < 0 || parts[0].hasPrefix("-") { frac = -frac }
        }
        let (m, o) = whole.multipliedReportingOverflow(by: 1_000_000_000)
        let (ns, o2) = m.addingReportingOverflow(frac)
        return o || o2 ? nil : ns
    }

    public static func currentNanos() -> UnixNanos {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// RFC3339 / ISO 8601 with `T` or space, optional fraction, `Z` or `±hh:mm`.
    public static func parseRFC3339(_ s: String) -> UnixNanos? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var n = 0
            for i in from..<(from + len) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                n = n * 10 + Int(b[i] - 48)
            }
            return n
        }
        guard b.count >= 19, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32,
              let h = num(11, 2), b[13] == 58, let mi = num(14, 2), b[16] == 58, let sec = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else { return nil }
        var i = 19
        var frac: Int64 = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { frac = frac * 10 + Int64(b[i] - 48); digits += 1 }
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { frac *= 10 }
        }
        var offset = 0
        if i < b.count, b[i] == 90 || b[i] == 122 {
            i += 1
        } else if i < b.count, b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == 58,
                  let om = num(i + 4, 2) {
            offset = (oh * 60 + om) * 60 * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        let secs = Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset)
        // Years past 2262 (or before 1677) do not fit in int64 nanoseconds.
        let (ns, o1) = secs.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, o2) = ns.addingReportingOverflow(frac)
        return o1 || o2 ? nil : total
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

/// Formats nanosecond times as RFC3339 in UTC, as Loki's and Prometheus's outputs do.
public enum TimeFormatter {
    /// `2024-01-02T15:04:05.123456789Z`, trailing zeros of the fraction dropped (Go's RFC3339Nano).
    public static func rfc3339Nano(_ ns: UnixNanos) -> String {
        var secs = ns / 1_000_000_000
        var frac = ns % 1_000_000_000
        if frac < 0 { frac += 1_000_000_000; secs -= 1 }
        var out = rfc3339Seconds(secs)
        if frac > 0 {
            var f = String(frac)
            f = String(repeating: "0", count: 9 - f.count) + f
            while f.hasSuffix("0") { f.removeLast() }
            out += "." + f
        }
        return out + "Z"
    }

    /// `2024-01-02T15:04:05` (no zone) for whole seconds.
    static func rfc3339Seconds(_ secs: Int64) -> String {
        let days = Int(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400)
        let rem = Int(secs - Int64(days) * 86400)
        let (y, m, d) = civilFromDays(days)
        func p2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let yy = String(y)
        return "\(String(repeating: "0", count: max(0, 4 - yy.count)))\(yy)-\(p2(m))-\(p2(d))T\(p2(rem / 3600)):\(p2(rem / 60 % 60)):\(p2(rem % 60))"
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
