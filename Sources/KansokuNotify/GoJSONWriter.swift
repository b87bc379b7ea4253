/// Writes JSON byte-for-byte as Go's `encoding/json` encoder does with its defaults
/// (`json.NewEncoder(w).Encode(v)`): object keys in the order given (struct fields) or
/// sorted (maps), HTML-sensitive characters escaped as `\u003c`, `\u003e`, `\u0026`,
/// U+2028/U+2029 escaped, and a trailing newline. Alertmanager's webhook body is produced
/// that way, so receivers that compare or sign bodies see identical bytes.
struct GoJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next value in the current container needs a comma before it.
    private var needsComma: [Bool] = [false]

    init() { bytes.reserveCapacity(1024) }

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma.removeLast() }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma.removeLast() }

    /// Writes `"key":` inside an object; the value written next needs no comma.
    mutating func key(_ k: String) {
        separate()
        appendQuoted(k)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func string(_ s: String) { separate(); appendQuoted(s) }

    mutating func integer(_ n: some BinaryInteger) { separate(); bytes.append(contentsOf: String(n).utf8) }

    /// A `map[string]string`: Go sorts map keys by their bytes.
    mutating func stringMap(_ pairs: [(String, String)]) {
        beginObject()
        for (k, v) in pairs.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }) {
            key(k)
            string(v)
        }
        endObject()
    }

    /// Ends the document as `Encoder.Encode` does.
    mutating func finishLine() { bytes.append(UInt8(ascii: "\n")) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20, 0x3C, 0x3E, 0x26, 0x2028, 0x2029:
                let v = scalar.value
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u")])
                for shift in [12, 8, 4, 0] { bytes.append(Self.hexDigits[Int((v >> UInt32(shift)) & 0xF)]) }
            default:
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
