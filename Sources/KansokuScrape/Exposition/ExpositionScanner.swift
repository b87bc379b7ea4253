import KansokuCore

/// Byte-level reading shared by the text and OpenMetrics parsers: a cursor over the body
/// that knows the current line, so every error can name line:column.
///
/// Nothing here allocates on the happy path; names and label values are returned as byte
/// ranges and turned into strings only when a caller asks for them.
struct ExpositionScanner {
    let bytes: [UInt8]
    var pos: Int = 0
    /// 1-based number of the line `lineStart` begins.
    var line: Int = 1
    var lineStart: Int = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { pos >= bytes.count }

    @inline(__always) var peek: UInt8? { pos < bytes.count ? bytes[pos] : nil }

    /// Position of byte `offset` on the current line, columns counted in Unicode scalars.
    func position(at offset: Int) -> SourcePosition {
        var column = 1
        var i = lineStart
        while i < offset && i < bytes.count {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return SourcePosition(line: line, column: column)
    }

    /// An error at the cursor: "expected <what>, got <found>".
    func expected(_ what: String, at offset: Int? = nil) -> ExpositionError {
        let at = offset ?? pos
        return ExpositionError("expected \(what), got \(describeToken(at: at))", at: position(at: at))
    }

    func error(_ message: String, at offset: Int? = nil) -> ExpositionError {
        ExpositionError(message, at: position(at: offset ?? pos))
    }

    /// A short, printable rendering of what starts at `offset`, for error messages.
    func describeToken(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        switch bytes[offset] {
        case UInt8(ascii: "\n"): return "end of line"
        case UInt8(ascii: " "): return "space"
        case UInt8(ascii: "\t"): return "tab"
        default: break
        }
        var end = offset
        while end < bytes.count, end - offset < 24,
              !isBlank(bytes[end]), bytes[end] != UInt8(ascii: "\n") { end += 1 }
        return goQuoted(String(decoding: bytes[offset..<end], as: UTF8.self))
    }

    /// Moves past the newline ending the current line (or to the end of input).
    mutating func beginNextLine(after newline: Int) {
        pos = newline + 1
        line += 1
        lineStart = pos
    }

    /// Offset of the next `\n` at or after the cursor, or `bytes.count`.
    func endOfLine() -> Int {
        var i = pos
        while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
        return i
    }

    mutating func skipBlanks() {
        while pos < bytes.count && isBlank(bytes[pos]) { pos += 1 }
    }

    @discardableResult
    mutating func consume(_ byte: UInt8) -> Bool {
        if pos < bytes.count && bytes[pos] == byte { pos += 1; return true }
        return false
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`; nil when no name starts at the cursor.
    mutating func scanMetricName() -> Range<Int>? {
        let start = pos
        guard pos < bytes.count, isMetricNameStart(bytes[pos]) else { return nil }
        pos += 1
        while pos < bytes.count && isMetricNameChar(bytes[pos]) { pos += 1 }
        return start..<pos
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`; nil when no label name starts at the cursor.
    mutating func scanLabelName() -> Range<Int>? {
        let start = pos
        guard pos < bytes.count, isLabelNameStart(bytes[pos]) else { return nil }
        pos += 1
        while pos < bytes.count && isLabelNameChar(bytes[pos]) { pos += 1 }
        return start..<pos
    }

    /// A double-quoted label value starting at the cursor (which must be at `"`).
    /// Returns the range between the quotes and whether it holds escapes.
    mutating func scanQuotedValue(what: String) throws(ExpositionError) -> (range: Range<Int>, escaped: Bool) {
        guard consume(UInt8(ascii: "\"")) else { throw expected("\"\"\" to open the \(what)") }
        let start = pos
        var escaped = false
        var highBytes = false
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let range = start..<pos
                pos += 1
                if highBytes && !isValidUTF8(bytes[range]) {
                    throw error("invalid UTF-8 in \(what)", at: start)
                }
                return (range, escaped)
            }
            if b == UInt8(ascii: "\n") { break }
            if b == UInt8(ascii: "\\") {
                escaped = true
                pos += 1
                if pos >= bytes.count || bytes[pos] == UInt8(ascii: "\n") { break }
            }
            if b >= 0x80 { highBytes = true }
            pos += 1
        }
        throw error("unterminated \(what): expected closing '\"' before end of line", at: start - 1)
    }

    /// The next run of non-blank, non-newline bytes.
    mutating func scanToken() -> Range<Int> {
        let start = pos
        while pos < bytes.count, !isBlank(bytes[pos]), bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
        return start..<pos
    }

    func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    /// A label value with `\\`, `\"` and `\n` unescaped; any other escaped character is kept
    /// with its backslash, as Prometheus and the OpenMetrics reference parser do.
    func labelValue(_ range: Range<Int>, escaped: Bool) -> String {
        escaped ? unescape(range, quotes: true) : string(range)
    }

    /// HELP text: `\\` and `\n` are the only escapes (OpenMetrics also allows `\"`).
    func helpText(_ range: Range<Int>, quotes: Bool) -> String { unescape(range, quotes: quotes) }

    private func unescape(_ range: Range<Int>, quotes: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let b = bytes[i]
            if b == UInt8(ascii: "\\") && i + 1 < range.upperBound {
                let n = bytes[i + 1]
                if n == UInt8(ascii: "\\") { out.append(n); i += 2; continue }
                if n == UInt8(ascii: "n") { out.append(UInt8(ascii: "\n")); i += 2; continue }
                if quotes && n == UInt8(ascii: "\"") { out.append(n); i += 2; continue }
            }
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

@inline(__always) func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }

@inline(__always) func isLabelNameStart(_ b: UInt8) -> Bool {
    (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") || b == UInt8(ascii: "_")
}

@inline(__always) func isLabelNameChar(_ b: UInt8) -> Bool {
    isLabelNameStart(b) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
}

@inline(__always) func isMetricNameStart(_ b: UInt8) -> Bool { isLabelNameStart(b) || b == UInt8(ascii: ":") }

@inline(__always) func isMetricNameChar(_ b: UInt8) -> Bool { isLabelNameChar(b) || b == UInt8(ascii: ":") }

/// Whether `name` is a legacy metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
public func isValidMetricName(_ name: String) -> Bool {
    var it = name.utf8.makeIterator()
    guard let first = it.next(), isMetricNameStart(first) else { return false }
    while let b = it.next() { if !isMetricNameChar(b) { return false } }
    return true
}

/// Whether `name` is a legacy label name, `[a-zA-Z_][a-zA-Z0-9_]*`.
public func isValidLabelName(_ name: String) -> Bool {
    var it = name.utf8.makeIterator()
    guard let first = it.next(), isLabelNameStart(first) else { return false }
    while let b = it.next() { if !isLabelNameChar(b) { return false } }
    return true
}

func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
    var it = bytes.makeIterator()
    var decoder = UTF8()
    while true {
        switch decoder.decode(&it) {
        case .scalarValue: continue
        case .emptyInput: return true
        case .error: return false
        }
    }
}
