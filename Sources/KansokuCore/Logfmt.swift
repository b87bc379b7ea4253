/// One `key=value` pair of a logfmt line, as byte ranges into the line.
public struct LogfmtPair: Sendable, Hashable {
    public var key: Range<Int>
    /// The value's bytes, inside the quotes when it was quoted; empty for a bare key.
    public var value: Range<Int>
    public var quoted: Bool
    /// The quoted value has backslash escapes to decode.
    public var escaped: Bool
}

/// Why a line is not logfmt, worded as Loki's `logfmt --strict` reports it.
public enum LogfmtSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A byte that cannot start a key or stand in an unquoted value, at the 1-based position.
    case unexpected(UInt8, position: Int)
    /// A quoted value runs to the end of the line.
    case unterminatedQuote(position: Int)

    public var description: String {
        switch self {
        case .unexpected(let byte, let position):
            return "logfmt syntax error at pos \(position) : unexpected '\(Character(Unicode.Scalar(byte)))'"
        case .unterminatedQuote(let position):
            return "logfmt syntax error at pos \(position) : unterminated quoted value"
        }
    }
}

/// Reads logfmt (`level=info msg="hello world" dur=12ms`) on bytes, one pair at a time, with
/// no allocation: pairs are ranges into the line, and a quoted value is decoded only when a
/// caller asks for it. It reads as Loki's logfmt parser does: by default it skips what it
/// cannot read (a stray quote or `=`, a key glued to a quote) and stops at a quoted value
/// that never closes; `strict` makes each of those an error instead. Promtail's logfmt stage
/// keeps what was read before such an error, which is what the lenient reading gives.
public struct LogfmtScanner {
    public let line: UnsafeRawBufferPointer
    public let strict: Bool
    public private(set) var offset = 0

    public init(_ line: UnsafeRawBufferPointer, strict: Bool = false) {
        self.line = line
        self.strict = strict
    }

    /// The next pair, or nil at the end of the line.
    public mutating func next() throws(LogfmtSyntaxError) -> LogfmtPair? {
        let n = line.count
        while true {
            while offset < n, line[offset] <= 0x20 { offset += 1 }
            guard offset < n else { return nil }
            let keyStart = offset
            while offset < n, line[offset] > 0x20, line[offset] != UInt8(ascii: "="), line[offset] != UInt8(ascii: "\"") { offset += 1 }
            let key = keyStart..<offset
            if key.isEmpty {
                if strict { throw .unexpected(line[offset], position: offset + 1) }
                skipToken()
                continue
            }
            guard offset < n else { return LogfmtPair(key: key, value: offset..<offset, quoted: false, escaped: false) }
            switch line[offset] {
            case UInt8(ascii: "="):
                offset += 1
                if offset < n, line[offset] == UInt8(ascii: "\"") { return try quotedValue(key) }
                let valueStart = offset
                while offset < n, line[offset] > 0x20 {
                    if strict, line[offset] == UInt8(ascii: "\"") || line[offset] == UInt8(ascii: "=") {
                        throw .unexpected(line[offset], position: offset + 1)
                    }
                    offset += 1
                }
                return LogfmtPair(key: key, value: valueStart..<offset, quoted: false, escaped: false)
            case UInt8(ascii: "\""):
                if strict { throw .unexpected(line[offset], position: offset + 1) }
                skipToken()
            default:
                return LogfmtPair(key: key, value: offset..<offset, quoted: false, escaped: false)
            }
        }
    }

    private mutating func skipToken() {
        while offset < line.count, line[offset] > 0x20 { offset += 1 }
    }

    /// The cursor is on the opening quote.
    private mutating func quotedValue(_ key: Range<Int>) throws(LogfmtSyntaxError) -> LogfmtPair? {
        let n = line.count
        var j = offset + 1
        var escaped = false
        while j < n {
            if line[j] == UInt8(ascii: "\\") { escaped = true; j += 2; continue }
            if line[j] == UInt8(ascii: "\"") {
                let pair = LogfmtPair(key: key, value: (offset + 1)..<j, quoted: true, escaped: escaped)
                offset = j + 1
                return pair
            }
            j += 1
        }
        if strict { throw .unterminatedQuote(position: n + 1) }
        offset = n
        return nil
    }

    /// Appends the value of `pair` to `out`: a quoted value's Go escapes decoded, or its bytes
    /// as written when they are not a valid Go string.
    public func appendValue(of pair: LogfmtPair, to out: inout [UInt8]) {
        if pair.escaped {
            let quotedRange = (pair.value.lowerBound - 1)..<(pair.value.upperBound + 1)
            if GoString.unquote(UnsafeRawBufferPointer(rebasing: line[quotedRange]), into: &out) { return }
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[pair.value]))
    }

    /// The value of `pair` as text (see `appendValue`).
    public func value(of pair: LogfmtPair) -> String {
        if !pair.escaped { return String(decoding: UnsafeRawBufferPointer(rebasing: line[pair.value]), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(pair.value.count)
        appendValue(of: pair, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
