public import KansokuCore

/// Writes JSON straight into bytes. API responses (thousands of log lines, long matrices)
/// are built here rather than through `JSONEncoder`, which boxes every value and is several
/// times slower for this shape of output.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    public mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { needsComma.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { needsComma.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":`; the next value call supplies the value.
    public mutating func key(_ k: String) {
        separator()
        writeEscaped(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ s: String) { separator(); writeEscaped(s) }

    /// A JSON string from raw bytes; invalid UTF-8 becomes U+FFFD so the output stays valid JSON.
    public mutating func string(bytes b: UnsafeRawBufferPointer) {
        separator()
        if let s = String(validating: b, as: UTF8.self) { writeEscaped(s) } else { writeEscaped(String(decoding: b, as: UTF8.self)) }
    }

    public mutating func string(bytes b: [UInt8]) { b.withUnsafeBytes { string(bytes: $0) } }

    public mutating func int(_ v: Int64) { separator(); bytes.append(contentsOf: String(v).utf8) }
    public mutating func int(_ v: Int) { int(Int64(v)) }
    public mutating func bool(_ v: Bool) { separator(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func null() { separator(); bytes.append(contentsOf: "null".utf8) }
    /// A number printed as given (already formatted, e.g. `1704067200.5`).
    public mutating func raw(_ text: String) { separator(); bytes.append(contentsOf: text.utf8) }

    public mutating func labels(_ l: Labels) {
        beginObject()
        for label in l { key(label.name); string(label.value) }
        endObject()
    }

    public mutating func field(_ k: String, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: String, _ v: Int) { key(k); int(v) }

    private mutating func writeEscaped(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { buf in
            var start = 0
            for i in 0..<buf.count {
                let c = buf[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i]))
                switch c {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
                case 0x0A: bytes.append(contentsOf: [92, 110])
                case 0x0D: bytes.append(contentsOf: [92, 114])
                case 0x09: bytes.append(contentsOf: [92, 116])
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
                }
                start = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<buf.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Seconds as Loki and Prometheus print sample times: `1704067200` or `1704067200.5`.
public func formatUnixSeconds(millis: Int64) -> String {
    let s = millis / 1000, ms = millis % 1000
    if ms == 0 { return String(s) }
    var frac = String(abs(ms))
    frac = String(repeating: "0", count: 3 - frac.count) + frac
    while frac.hasSuffix("0") { frac.removeLast() }
    return "\(s).\(frac)"
}
