import KansokuCore

/// JSON lines flattened as LogQL's `json` stage flattens them (nested objects joined with `_`,
/// nulls and arrays dropped, each key sanitised as a label name), on the line's bytes: names
/// and unescaped strings are built in two buffers reused across members, so a line costs no
/// allocation once they have grown. A malformed line keeps the fields read before the fault,
/// as LogQL's stage does.
struct JSONFields {
    private var name: [UInt8] = []
    private var value: [UInt8] = []

    mutating func scan(_ line: UnsafeRawBufferPointer, _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        // The reader and depth bound LogQL's `json` stage uses for log lines.
        var sc = JSONScanner(line, strictness: .lenient, maxDepth: 256)
        name.removeAll(keepingCapacity: true)
        try? flatten(&sc, field)
    }

    private mutating func flatten(_ sc: inout JSONScanner, _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) throws {
        let prefix = name.count
        try sc.forEachMember { sc, key, escaped in
            let kind = try sc.peekKind()
            let r = try sc.skipValue()
            name.removeSubrange(prefix...)
            if escaped {
                value.removeAll(keepingCapacity: true)
                try JSONScanner.unescape(key, into: &value, baseOffset: 0, strictness: .lenient)
                value.withUnsafeBytes { appendSanitised($0) }
            } else {
                appendSanitised(key)
            }
            switch kind {
            case .object:
                name.append(UInt8(ascii: "_"))
                var inner = sc.at(r.lowerBound)
                try flatten(&inner, field)
            case .null, .array:
                break
            case .string:
                value.removeAll(keepingCapacity: true)
                var v = sc.at(r.lowerBound)
                try v.readString(into: &value)
                name.withUnsafeBytes { n in value.withUnsafeBytes { field(n, $0) } }
            case .number, .bool:
                name.withUnsafeBytes { field($0, UnsafeRawBufferPointer(rebasing: sc.bytes[r])) }
            }
        }
    }

    /// A key as a label name: bytes outside `[A-Za-z0-9_]` become `_`, a leading digit gets `_`.
    private mutating func appendSanitised(_ key: UnsafeRawBufferPointer) {
        if let first = key.first, LineFields.isDigit(first) { name.append(UInt8(ascii: "_")) }
        for b in key { name.append(LineFields.isIdentChar(b) ? b : UInt8(ascii: "_")) }
    }
}
