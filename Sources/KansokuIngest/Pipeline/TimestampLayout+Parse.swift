public import Foundation

extension TimestampLayout {
    /// Parses `value` into unix nanoseconds. Layouts without a year take the current year (the
    /// previous one when that would put the time more than a day in the future, as around New
    /// Year). Layouts without a zone are read in `zone` (UTC when nil).
    public func parse(_ value: UnsafeRawBufferPointer, zone: TimeZone? = nil, now: Int64) -> Int64? {
        switch kind {
        case .unixSeconds: return Self.parseEpoch(value, scale: 1_000_000_000, allowFraction: true)
        case .unixMillis: return Self.parseEpoch(value, scale: 1_000_000, allowFraction: false)
        case .unixMicros: return Self.parseEpoch(value, scale: 1_000, allowFraction: false)
        case .unixNanos: return Self.parseEpoch(value, scale: 1, allowFraction: false)
        case .layout(let tokens): return Self.parseLayout(tokens, value, zone: zone, now: now)
        }
    }

    public func parse(_ value: String, zone: TimeZone? = nil, now: Int64) -> Int64? {
        Array(value.utf8).withUnsafeBytes { parse($0, zone: zone, now: now) }
    }

    static func parseEpoch(_ v: UnsafeRawBufferPointer, scale: Int64, allowFraction: Bool) -> Int64? {
        var i = 0
        let negative = i < v.count && v[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var whole: Int64 = 0
        let start = i
        while i < v.count, let d = digit(v[i]) {
            let (m, o1) = whole.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            whole = a
            i += 1
        }
        guard i > start else { return nil }
        var frac: Int64 = 0
        if i < v.count, v[i] == UInt8(ascii: "."), allowFraction {
            i += 1
            var digits = 0
            while i < v.count, let d = digit(v[i]) {
                if digits < 9 { frac = frac * 10 + d; digits += 1 }
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { frac *= 10 }
        }
        guard i == v.count else { return nil }
        let (ns, o) = whole.multipliedReportingOverflow(by: scale)
        guard !o else { return nil }
        let total = ns + frac
        return negative ? -total : total
    }

    @inline(__always) static func digit(_ b: UInt8) -> Int64? {
        b >= 48 && b <= 57 ? Int64(b - 48) : nil
    }

    static let monthNames = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                             "october", "november", "december"].map { Array($0.utf8) }
    static let weekdayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"].map { Array($0.utf8) }

    /// Index of the name (case-insensitive) at `v[i...]`, matching the full name or its first three letters.
    static func lookup(_ names: [[UInt8]], _ v: UnsafeRawBufferPointer, _ i: inout Int, long: Bool) -> Int? {
        for (k, name) in names.enumerated() {
            let n = long ? name.count : 3
            guard i + n <= v.count else { continue }
            var ok = true
            for j in 0..<n where v[i + j] | 0x20 != name[j] {
                ok = false
                break
            }
            if ok {
                i += n
                return k
            }
        }
        return nil
    }

    static func parseLayout(_ tokens: [Token], _ v: UnsafeRawBufferPointer, zone: TimeZone?, now: Int64) -> Int64? {
        var reader = LayoutReader(bytes: v)
        for (t, token) in tokens.enumerated() {
            var fractionFollows = false
            if t + 1 < tokens.count, case .fraction = tokens[t + 1] { fractionFollows = true }
            guard reader.read(token, fractionFollows: fractionFollows) else { return nil }
        }
        guard reader.i == v.count else { return nil }
        return reader.fields.unixNanos(zone: zone, now: now)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilYear(ofNanos ns: Int64) -> Int {
        let days = Int((ns / 1_000_000_000) / 86400)
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let m = mp + (mp < 10 ? 3 : -9)
        return yoe + era * 400 + (m <= 2 ? 1 : 0)
    }
}
