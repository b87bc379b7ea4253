import Foundation

extension TimestampLayout {
    /// What a layout read from a value: each field as written, before the calendar and the
    /// zone turn them into an instant.
    struct LayoutFields {
        var year: Int?, month = 1, day = 1, yearDay: Int?
        var hour = 0, minute = 0, second = 0, nanos: Int64 = 0
        var pm: Bool?
        /// Seconds east of UTC, when the value names its zone.
        var offset: Int?

        /// The instant, in unix nanoseconds: a missing year is this year, or last year when
        /// this year's date would be more than a day after `now`; a missing zone is `zone`.
        func unixNanos(zone: TimeZone?, now: Int64) -> Int64? {
            var hour24 = hour
            if let pm {
                if pm && hour < 12 { hour24 += 12 } else if !pm && hour == 12 { hour24 = 0 }
            }
            guard let year else {
                let thisYear = civilYear(ofNanos: now)
                guard let result = unixNanos(year: thisYear, hour24: hour24, zone: zone) else { return nil }
                if result > now + 86_400_000_000_000 { return unixNanos(year: thisYear - 1, hour24: hour24, zone: zone) }
                return result
            }
            return unixNanos(year: year, hour24: hour24, zone: zone)
        }

        private func unixNanos(year y: Int, hour24: Int, zone: TimeZone?) -> Int64? {
            let days: Int
            if let yearDay {
                days = daysFromCivil(y, 1, 1) + yearDay - 1
            } else {
                guard (1...31).contains(day), day <= daysIn(month: month, year: y) else { return nil }
                days = daysFromCivil(y, month, day)
            }
            let local = Int64(days) * 86400 + Int64(hour24 * 3600 + minute * 60 + second)
            let off: Int
            if let offset {
                off = offset
            } else if let zone {
                // The zone's offset at the local time, corrected once for a transition between.
                let guess = Date(timeIntervalSince1970: TimeInterval(local))
                let first = zone.secondsFromGMT(for: guess)
                off = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - Int64(first))))
            } else {
                off = 0
            }
            return (local - Int64(off)) * 1_000_000_000 + nanos
        }
    }

    /// Reads a value token by token of its layout, filling `fields`; each reader returns false
    /// where the value does not match.
    struct LayoutReader {
        let v: UnsafeRawBufferPointer
        var i = 0
        var fields = LayoutFields()

        init(bytes: UnsafeRawBufferPointer) { v = bytes }

        mutating func read(_ token: Token, fractionFollows: Bool) -> Bool {
            switch token {
            case .literal(let packed, let count):
                guard i + count <= v.count else { return false }
                for j in 0..<count {
                    guard v[i] == UInt8(truncatingIfNeeded: packed >> (8 * UInt64(j))) else { return false }
                    i += 1
                }
                return true
            case .spaces:
                guard i < v.count, v[i] == UInt8(ascii: " ") else { return false }
                while i < v.count, v[i] == UInt8(ascii: " ") { i += 1 }
                return true
            case .longYear, .year2, .longMonth, .month, .zeroMonth, .numMonth, .longWeekday, .weekday,
                 .zeroDay, .day, .underDay, .yearDay:
                return readDate(token)
            case .hour, .zeroHour12, .hour12, .zeroMinute, .minute, .pmUpper, .pmLower:
                return readClock(token)
            case .zeroSecond, .second:
                return readSecond(twoDigits: token == .zeroSecond, fractionFollows: fractionFollows)
            case .fraction(let separator, let digits, let exact):
                return readFraction(separator: separator, digits: digits, exact: exact)
            case .zoneName:
                return readZoneName()
            case .numZone(let colon, let withSeconds, let short, let isoZ):
                return readNumericZone(colon: colon, withSeconds: withSeconds, short: short, isoZ: isoZ)
            }
        }

        private mutating func readDate(_ token: Token) -> Bool {
            switch token {
            case .longYear:
                guard let y = number(4, 4) else { return false }
                fields.year = y
            case .year2:
                guard let y = number(2, 2) else { return false }
                fields.year = y >= 69 ? 1900 + y : 2000 + y
            case .longMonth, .month:
                guard let m = lookup(monthNames, v, &i, long: token == .longMonth) else { return false }
                fields.month = m + 1
            case .zeroMonth, .numMonth:
                guard let m = number(token == .zeroMonth ? 2 : 1, 2), (1...12).contains(m) else { return false }
                fields.month = m
            case .longWeekday, .weekday:
                guard lookup(weekdayNames, v, &i, long: token == .longWeekday) != nil else { return false }
            case .zeroDay, .day:
                guard let d = number(token == .zeroDay ? 2 : 1, 2) else { return false }
                fields.day = d
            case .underDay:
                if i < v.count, v[i] == UInt8(ascii: " ") { i += 1 }
                guard let d = number(1, 2) else { return false }
                fields.day = d
            case .yearDay:
                while i < v.count, v[i] == UInt8(ascii: " ") { i += 1 }
                guard let d = number(1, 3), (1...366).contains(d) else { return false }
                fields.yearDay = d
            default:
                preconditionFailure("\(token) is not a date token")
            }
            return true
        }

        private mutating func readClock(_ token: Token) -> Bool {
            switch token {
            case .hour:
                guard let h = number(1, 2), h < 24 else { return false }
                fields.hour = h
            case .zeroHour12, .hour12:
                guard let h = number(token == .zeroHour12 ? 2 : 1, 2), (1...12).contains(h) else { return false }
                fields.hour = h
            case .zeroMinute, .minute:
                guard let m = number(token == .zeroMinute ? 2 : 1, 2), m < 60 else { return false }
                fields.minute = m
            case .pmUpper, .pmLower:
                guard i + 2 <= v.count else { return false }
                let a = v[i] | 0x20, b = v[i + 1] | 0x20
                guard b == UInt8(ascii: "m"), a == UInt8(ascii: "a") || a == UInt8(ascii: "p") else { return false }
                fields.pm = a == UInt8(ascii: "p")
                i += 2
            default:
                preconditionFailure("\(token) is not a clock token")
            }
            return true
        }

        /// A fraction in the value that the layout does not mention is accepted (as Go does).
        private mutating func readSecond(twoDigits: Bool, fractionFollows: Bool) -> Bool {
            guard let s = number(twoDigits ? 2 : 1, 2), s < 61 else { return false }
            fields.second = s
            if !fractionFollows, fractionIsNext {
                let save = i
                i += 1
                if let f = fraction(max: 9) { fields.nanos = f } else { i = save }
            }
            return true
        }

        /// `.000` requires exactly that many digits; `.999` makes the whole fraction optional.
        private mutating func readFraction(separator: UInt8, digits: Int, exact: Bool) -> Bool {
            let present = fractionIsNext
            if exact {
                guard present, v[i] == separator else { return false }
                i += 1
                let start = i
                guard let f = fraction(max: digits), i - start == digits else { return false }
                fields.nanos = f
            } else if present {
                i += 1
                guard let f = fraction(max: 9) else { return false }
                fields.nanos = f
            }
            return true
        }

        private var fractionIsNext: Bool {
            i + 1 < v.count && (v[i] == UInt8(ascii: ".") || v[i] == UInt8(ascii: ",")) && digit(v[i + 1]) != nil
        }

        /// `MST`, or an offset written after the name as in `GMT+3` or `UTC-07`.
        private mutating func readZoneName() -> Bool {
            let start = i
            while i < v.count, (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(v[i]) { i += 1 }
            guard i - start >= 3 else { return false }
            if i < v.count, v[i] == UInt8(ascii: "+") || v[i] == UInt8(ascii: "-") {
                let sign = v[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let h = number(1, 2) else { return false }
                fields.offset = sign * h * 3600
            } else {
                fields.offset = fields.offset ?? 0
            }
            return true
        }

        /// `-0700`, `-07:00`, `-07`, `-07:00:00`, or `Z` where the layout says `Z07:00`.
        private mutating func readNumericZone(colon: Bool, withSeconds: Bool, short: Bool, isoZ: Bool) -> Bool {
            if isoZ, i < v.count, v[i] == UInt8(ascii: "Z") {
                i += 1
                fields.offset = 0
                return true
            }
            guard i < v.count, v[i] == UInt8(ascii: "+") || v[i] == UInt8(ascii: "-") else { return false }
            let sign = v[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let h = number(2, 2) else { return false }
            var m = 0, s = 0
            if !short {
                guard colonIfNeeded(colon), let mm = number(2, 2) else { return false }
                m = mm
                if withSeconds {
                    guard colonIfNeeded(colon), let ss = number(2, 2) else { return false }
                    s = ss
                }
            }
            fields.offset = sign * (h * 3600 + m * 60 + s)
            return true
        }

        private mutating func colonIfNeeded(_ colon: Bool) -> Bool {
            guard colon else { return true }
            guard i < v.count, v[i] == UInt8(ascii: ":") else { return false }
            i += 1
            return true
        }

        /// A decimal of `minDigits` to `maxDigits` digits.
        private mutating func number(_ minDigits: Int, _ maxDigits: Int) -> Int? {
            var n = 0, k = 0
            while k < maxDigits, i < v.count, let d = digit(v[i]) {
                n = n * 10 + Int(d)
                i += 1
                k += 1
            }
            return k >= minDigits ? n : nil
        }

        /// Fraction digits as nanoseconds: at most `max` of them, the tenth and later ignored.
        private mutating func fraction(max: Int) -> Int64? {
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
    }
}
