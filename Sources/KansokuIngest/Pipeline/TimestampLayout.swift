import Foundation

/// A timestamp format compiled once from Go's reference-time notation
/// (`Mon Jan 2 15:04:05 MST 2006`), as Promtail's `timestamp` stage takes it, or one of the
/// numeric epochs. Parsing works on bytes and allocates nothing.
public struct TimestampLayout: Sendable, Hashable {
    enum Token: Sendable, Hashable {
        /// Up to 8 literal bytes packed little-endian, so tokens hold no references and
        /// iterating them costs no reference counting.
        case literal(packed: UInt64, count: Int)
        case spaces  // one or more spaces in the layout match one or more in the value
        case longYear, year2
        case longMonth, month, zeroMonth, numMonth
        case longWeekday, weekday
        case zeroDay, day, underDay, yearDay
        case hour, zeroHour12, hour12
        case zeroMinute, minute, zeroSecond, second
        case fraction(separator: UInt8, digits: Int, exact: Bool)
        case pmUpper, pmLower
        case zoneName
        case numZone(colon: Bool, seconds: Bool, short: Bool, isoZ: Bool)
    }

    enum Kind: Sendable, Hashable {
        case layout([Token])
        case unixSeconds, unixMillis, unixMicros, unixNanos
    }

    let kind: Kind
    public let text: String

    static let named: [String: String] = [
        "ANSIC": "Mon Jan _2 15:04:05 2006",
        "UnixDate": "Mon Jan _2 15:04:05 MST 2006",
        "RubyDate": "Mon Jan 02 15:04:05 -0700 2006",
        "RFC822": "02 Jan 06 15:04 MST",
        "RFC822Z": "02 Jan 06 15:04 -0700",
        "RFC850": "Monday, 02-Jan-06 15:04:05 MST",
        "RFC1123": "Mon, 02 Jan 2006 15:04:05 MST",
        "RFC1123Z": "Mon, 02 Jan 2006 15:04:05 -0700",
        "RFC3339": "2006-01-02T15:04:05Z07:00",
        "RFC3339Nano": "2006-01-02T15:04:05.999999999Z07:00",
        "Kitchen": "3:04PM",
        "Stamp": "Jan _2 15:04:05",
        "StampMilli": "Jan _2 15:04:05.000",
        "StampMicro": "Jan _2 15:04:05.000000",
        "StampNano": "Jan _2 15:04:05.000000000",
    ]

    /// Compiles a layout or a format name. Throws when the layout has no date or time element.
    public init(_ format: String) throws(PipelineConfigError) {
        text = format
        switch format {
        case "Unix": kind = .unixSeconds
        case "UnixMs": kind = .unixMillis
        case "UnixUs": kind = .unixMicros
        case "UnixNs": kind = .unixNanos
        default:
            let tokens = Self.tokenize(Array((Self.named[format] ?? format).utf8))
            guard tokens.contains(where: { if case .literal = $0 { return false }; if case .spaces = $0 { return false }; return true })
            else {
                throw .invalidTimestampFormat(format, "no reference-time element (2006, Jan, 02, 15, 04, 05, ...) in it")
            }
            kind = .layout(tokens)
        }
    }

    // MARK: layout tokens (Go's nextStdChunk)

    static func tokenize(_ l: [UInt8]) -> [Token] {
        var out: [Token] = []
        var lit: [UInt8] = []
        var i = 0
        func has(_ s: String) -> Bool {
            let b = Array(s.utf8)
            return i + b.count <= l.count && Array(l[i..<(i + b.count)]) == b
        }
        func flushLiteral() {
            var k = 0
            while k < lit.count {
                let piece = lit[k..<min(k + 8, lit.count)]
                var packed: UInt64 = 0
                for (j, b) in piece.enumerated() { packed |= UInt64(b) << (8 * UInt64(j)) }
                out.append(.literal(packed: packed, count: piece.count))
                k += 8
            }
            lit = []
        }
        func emit(_ t: Token, _ n: Int) {
            flushLiteral()
            out.append(t)
            i += n
        }
        let table: [(String, Token)] = [
            ("January", .longMonth), ("Jan", .month), ("Monday", .longWeekday), ("Mon", .weekday), ("MST", .zoneName),
            ("2006", .longYear), ("002", .yearDay), ("01", .zeroMonth), ("02", .zeroDay), ("03", .zeroHour12),
            ("04", .zeroMinute), ("05", .zeroSecond), ("06", .year2), ("15", .hour), ("__2", .yearDay), ("_2", .underDay),
            ("-07:00:00", .numZone(colon: true, seconds: true, short: false, isoZ: false)),
            ("-070000", .numZone(colon: false, seconds: true, short: false, isoZ: false)),
            ("-07:00", .numZone(colon: true, seconds: false, short: false, isoZ: false)),
            ("-0700", .numZone(colon: false, seconds: false, short: false, isoZ: false)),
            ("-07", .numZone(colon: false, seconds: false, short: true, isoZ: false)),
            ("Z07:00:00", .numZone(colon: true, seconds: true, short: false, isoZ: true)),
            ("Z070000", .numZone(colon: false, seconds: true, short: false, isoZ: true)),
            ("Z07:00", .numZone(colon: true, seconds: false, short: false, isoZ: true)),
            ("Z0700", .numZone(colon: false, seconds: false, short: false, isoZ: true)),
            ("Z07", .numZone(colon: false, seconds: false, short: true, isoZ: true)),
            ("PM", .pmUpper), ("pm", .pmLower),
            ("1", .numMonth), ("2", .day), ("3", .hour12), ("4", .minute), ("5", .second),
        ]
        outer: while i < l.count {
            let c = l[i]
            if c == UInt8(ascii: " ") {
                flushLiteral()
                while i < l.count, l[i] == UInt8(ascii: " ") { i += 1 }
                out.append(.spaces)
                continue
            }
            // Fractional seconds: '.' or ',' then a run of 0s or 9s, not followed by a digit,
            // right after a seconds element.
            if c == UInt8(ascii: ".") || c == UInt8(ascii: ","), i + 1 < l.count,
               l[i + 1] == UInt8(ascii: "0") || l[i + 1] == UInt8(ascii: "9"),
               let last = out.last, lit.isEmpty, last == .zeroSecond || last == .second {
                let d = l[i + 1]
                var j = i + 1
                while j < l.count, l[j] == d { j += 1 }
                if j >= l.count || !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(l[j]) {
                    emit(.fraction(separator: c, digits: j - i - 1, exact: d == UInt8(ascii: "0")), j - i)
                    continue
                }
            }
            if c == UInt8(ascii: "_"), has("_2006") {
                // Go reads "_2006" as a literal underscore and a year, not a padded day.
                lit.append(c)
                i += 1
                continue
            }
            for (name, token) in table where has(name) {
                emit(token, name.utf8.count)
                continue outer
            }
            lit.append(c)
            i += 1
        }
        flushLiteral()
        return out
    }
}
