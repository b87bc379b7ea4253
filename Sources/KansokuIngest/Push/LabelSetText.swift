public import KansokuCore

/// Why a label set written as text (`{app="api", env="prod"}`) could not be read.
public struct LabelSetSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    /// 0-based byte offset in `text`.
    public var offset: Int
    public var expected: String

    public var description: String {
        "invalid label set \(goQuoted(text)) at byte \(offset): expected \(expected)"
    }
}

/// Reads label sets as push clients write them: Promtail and Alloy send each stream's labels
/// as the text of a selector with `=` matchers only.
public enum LabelSetText {
    public static func parse(_ text: String) throws(LabelSetSyntaxError) -> Labels {
        try Array(text.utf8).withBytes { (b) throws(LabelSetSyntaxError) in try parse(b, text: text) }
    }

    static func parse(_ b: UnsafeRawBufferPointer, text: @autoclosure () -> String) throws(LabelSetSyntaxError) -> Labels {
        var i = 0
        func fail(_ expected: String) -> LabelSetSyntaxError {
            LabelSetSyntaxError(text: text(), offset: i, expected: expected)
        }
        func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        }
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: "{") else { throw fail("'{'") }
        i += 1
        var labels: [Label] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                skipSpace()
                let nameStart = i
                while i < b.count, isNameByte(b[i], first: i == nameStart) { i += 1 }
                guard i > nameStart else { throw fail("a label name") }
                let name = String(decoding: UnsafeRawBufferPointer(rebasing: b[nameStart..<i]), as: UTF8.self)
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("'=' after label name \(name)") }
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "~") || b[i] == UInt8(ascii: "=") {
                    throw fail("'=' (a label set has no other matchers)")
                }
                skipSpace()
                var value: [UInt8] = []
                guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "`") else {
                    throw fail("a quoted label value")
                }
                // The value is a Go string literal, as Loki's push path reads it.
                let quote = b[i]
                var end = i + 1
                var closed = false
                while end < b.count {
                    if b[end] == quote { closed = true; break }
                    end += b[end] == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") ? 2 : 1
                }
                guard closed else { i = b.count; throw fail("a closing quote") }
                guard GoString.unquote(UnsafeRawBufferPointer(rebasing: b[i...end]), into: &value) else {
                    throw fail("a valid Go string literal")
                }
                i = end + 1
                labels.append(Label(name: name, value: String(decoding: value, as: UTF8.self)))
                skipSpace()
                if i < b.count, b[i] == UInt8(ascii: ",") {
                    i += 1
                    skipSpace()
                    if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; break }
                    continue
                }
                guard i < b.count, b[i] == UInt8(ascii: "}") else { throw fail("',' or '}'") }
                i += 1
                break
            }
        }
        skipSpace()
        guard i == b.count else { throw fail("end of label set") }
        let sorted = labels.sorted { $0.name < $1.name }
        for k in sorted.indices.dropFirst() where sorted[k].name == sorted[k - 1].name {
            i = 0
            throw fail("unique label names (\(sorted[k].name) appears twice)")
        }
        return Labels(sorted: sorted)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, Prometheus's label name rule.
    static func isNameByte(_ c: UInt8, first: Bool) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"): return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return !first
        default: return false
        }
    }

    /// Whether `name` is a valid label name.
    public static func isValidName(_ name: String) -> Bool {
        var first = true
        for c in name.utf8 {
            guard isNameByte(c, first: first) else { return false }
            first = false
        }
        return !first
    }
}
