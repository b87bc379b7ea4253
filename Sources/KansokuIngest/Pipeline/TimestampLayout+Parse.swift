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
        var i = 0
        var year: Int?, month = 1, day = 1, yday: Int?, hour = 0, minute = 0, second = 0, nanos: Int64 = 0
        var pm: Bool?
        var offset: Int?

        func num(_ minDigits: Int, _ maxDigits: Int) -> Int? {
            var n = 0, k = 0
            while k < maxDigits, i < v.count, let d = digit(v[i]) {
                n = n * 10 + Int(d)
                i += 1
                k += 1
            }
            return k >= minDigits ? n : nil
        }
        func fraction(max: Int) -> Int64? {
            var f: Int64 = 0, k = 0
            while i < v.count, let d = digit(v[i]) {
                if k < 9 { f = f * 10 + d }
                k += 1
                i += 1
            }
            guard k > 0, k <= max else { return nil }
            for _ in min(k, 9)..<9 { f *= 10 }
            return f
        }

        for (t, token) in tokens.enumerated() {
            switch token {
            case .literal(let packed, let count):
                guard i + count <= v.count else { return nil }
                for j in 0..<count {
                    guard v[i] == UInt8(truncatingIfNeeded: packed >> (8 * UInt64(j))) else { return nil }
                    i += 1
                }
            case .spaces:
                guard i < v.count, v[i] == UInt8(ascii: " ") else { return nil }
                while i < v.count, v[i] == UInt8(ascii: " ") { i += 1 }
            case .longYear:
                guard let y = num(4, 4) else { return nil }
                year = y
            case .year2:
                guard let y = num(2, 2) else { return nil }
                year = y >= 69 ? 1900 + y : 2000 + y
            case .longMonth, .month:
                guard let m = lookup(monthNames, v, &i, long: token == .longMonth) else { return nil }
                month = m + 1
            case .zeroMonth:
                guard let m = num(2, 2), (1...12).contains(m) else { return nil }
                month = m
            case .numMonth:
                guard let m = num(1, 2), (1...12).contains(m) else { return nil }
                month = m
            case .longWeekday, .weekday:
                guard lookup(weekdayNames, v, &i, long: token == .longWeekday) != nil else { return nil }
            case .zeroDay:
                guard let d = num(2, 2) else { return nil }
                day = d
            case .day:
                guard let d = num(1, 2) else { return nil }
                day = d
            case .underDay:
                if i < v.count, v[i] == UInt8(ascii: " ") { i += 1 }
                guard let d = num(1, 2) else { return nil }
                day = d
            case .yearDay:
                while i < v.count, v[i] == UInt8(ascii: " ") { i += 1 }
                guard let d = num(1, 3), (1...366).contains(d) else { return nil }
                yday = d
            case .hour:
                guard let h = num(1, 2), h < 24 else { return nil }
                hour = h
            case .zeroHour12:
                guard let h = num(2, 2), (1...12).contains(h) else { return nil }
                hour = h
            case .hour12:
                guard let h = num(1, 2), (1...12).contains(h) else { return nil }
                hour = h
            case .zeroMinute:
                guard let m = num(2, 2), m < 60 else { return nil }
                minute = m
            case .minute:
                guard let m = num(1, 2), m < 60 else { return nil }
                minute = m
            case .zeroSecond, .second:
                guard let s = num(token == .zeroSecond ? 2 : 1, 2), s < 61 else { return nil }
                second = s
                // A fraction in the value that the layout does not mention is accepted (as Go does).
                let nextIsFraction: Bool
                if t + 1 < tokens.count, case .fraction = tokens[t + 1] { nextIsFraction = true } else { nextIsFraction = false }
                if !nextIsFraction, i + 1 < v.count, v[i] == UInt8(ascii: ".") || v[i] == UInt8(ascii: ","),
                   digit(v[i + 1]) != nil {
                    let save = i
                    i += 1
                    if let f = fraction(max: 9) { nanos = f } else { i = save }
                }
            case .fraction(let separator, let digits, let exact):
                // `.000` requires exactly that many digits; `.999` makes the whole fraction optional.
                let present = i + 1 < v.count && (v[i] == UInt8(ascii: ".") || v[i] == UInt8(ascii: ",")) && digit(v[i + 1]) != nil
                if exact {
                    guard present, v[i] == separator else { return nil }
                    i += 1
                    let start = i
                    guard let f = fraction(max: digits), i - start == digits else { return nil }
                    nanos = f
                } else if present {
                    i += 1
                    guard let f = fraction(max: 9) else { return nil }
                    nanos = f
                }
            case .pmUpper, .pmLower:
                guard i + 2 <= v.count else { return nil }
                let a = v[i] | 0x20, b = v[i + 1] | 0x20
                guard b == UInt8(ascii: "m"), a == UInt8(ascii: "a") || a == UInt8(ascii: "p") else { return nil }
                pm = a == UInt8(ascii: "p")
                i += 2
            case .zoneName:
                let start = i
                while i < v.count, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(v[i]) { i += 1 }
                guard i - start >= 3 else { return nil }
                // Offsets like "GMT+3" or "UTC-07"
                if i < v.count, v[i] == UInt8(ascii: "+") || v[i] == UInt8(ascii: "-") {
                    let sign = v[i] == UInt8(ascii: "-") ? -1 : 1
                    i += 1
                    guard let h = num(1, 2) else { return nil }
                    offset = sign * h * 3600
                } else {
                    offset = offset ?? 0
                }
            case .numZone(let colon, let withSeconds, let short, let isoZ):
                if isoZ, i < v.count, v[i] == UInt8(ascii: "Z") {
                    i += 1
                    offset = 0
                    continue
                }
                guard i < v.count, v[i] == UInt8(ascii: "+") || v[i] == UInt8(ascii: "-") else { return nil }
                let sign = v[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = num(2, 2) else { return nil }
                var m = 0, s = 0
                if !short {
                    if colon { guard i < v.count, v[i] == UInt8(ascii: ":") else { return nil }; i += 1 }
                    guard let mm = num(2, 2) else { return nil }
                    m = mm
                    if withSeconds {
                        if colon { guard i < v.count, v[i] == UInt8(ascii: ":") else { return nil }; i += 1 }
                        guard let ss = num(2, 2) else { return nil }
                        s = ss
                    }
                }
                offset = sign * (h * 3600 + m * 60 + s)
            }
        }
        guard i == v.count else { return nil }

        if let pm {
            if pm && hour < 12 { hour += 12 } else if !pm && hour == 12 { hour = 0 }
        }
        let yearGiven = year != nil
        var y = year ?? civilYear(ofNanos: now)
        func compute(_ y: Int) -> Int64? {
            var days: Int
            if let yday {
                days = daysFromCivil(y, 1, 1) + yday - 1
            } else {
                guard (1...31).contains(day), day <= daysIn(month: month, year: y) else { return nil }
                days = daysFromCivil(y, month, day)
            }
            let local = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
            let off: Int
            if let offset {
                off = offset
            } else if let zone {
                let guess = Date(timeIntervalSince1970: TimeInterval(local))
                let first = zone.secondsFromGMT(for: guess)
                off = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - Int64(first))))
            } else {
                off = 0
            }
            return (local - Int64(off)) * 1_000_000_000 + nanos
        }
        guard var result = compute(y) else { return nil }
        if !yearGiven, result > now + 86_400_000_000_000 {
            y -= 1
            guard let earlier = compute(y) else { return nil }
            result = earlier
        }
        return result
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
