import KansokuCore

extension OTLPValue {
    /// The value as text, as OpenTelemetry's collector (`pcommon.Value.AsString`) writes it,
    /// which is what Loki and Prometheus store: maps and arrays as JSON, bytes as base64.
    public var asString: String {
        switch self {
        case .empty: return ""
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Self.format(d)
        case .bytes(let b): return Base64.encode(b)
        case .array, .kvlist:
            var out = ""
            appendJSON(to: &out)
            return out
        }
    }

    /// Go's JSON number form: integral values without a fraction, others shortest.
    static func format(_ d: Double) -> String {
        if d.isNaN { return "json: unsupported value: NaN" }
        if d.isInfinite { return "json: unsupported value: \(d < 0 ? "-" : "+")Inf" }
        if d == d.rounded(), abs(d) < 1e21 { return String(Int64(d)) }
        return "\(d)"
    }

    private func appendJSON(to out: inout String) {
        switch self {
        case .empty: out += "null"
        case .string(let s): Self.quote(s, into: &out)
        case .bool, .int: out += asString
        case .double(let d): out += d.isFinite ? Self.format(d) : "null"
        case .bytes(let b): Self.quote(Base64.encode(b), into: &out)
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.appendJSON(to: &out)
            }
            out += "]"
        case .kvlist(let pairs):
            // Go's encoding/json writes map keys sorted.
            out += "{"
            for (i, kv) in pairs.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out += "," }
                Self.quote(kv.key, into: &out)
                out += ":"
                kv.value.appendJSON(to: &out)
            }
            out += "}"
        }
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}": out += String(jsonEscape: u.value)
            default:
                if u.value < 0x20 { out += String(jsonEscape: u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}

private extension String {
    /// `\uXXXX`.
    init(jsonEscape scalar: UInt32) {
        let hex = String(scalar, radix: 16)
        let padding = hex.count < 4 ? String(repeating: "0", count: 4 - hex.count) : ""
        self = "\\u" + padding + hex
    }
}

/// Attribute keys as Prometheus label names (`otlptranslator.LabelNamer` without UTF-8):
/// characters outside `[a-zA-Z0-9_]` become `_`, a leading digit gets `key_`, a single
/// leading underscore gets `key`.
public enum OTLPLabelName {
    public static func normalize(_ key: String) -> String {
        guard !key.isEmpty else { return key }
        var name = String(String.UnicodeScalarView(key.unicodeScalars.map { u in
            (u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u))) || u == "_" ? u : "_"
        }))
        if let first = name.unicodeScalars.first, ("0"..."9").contains(first) {
            name = "key_" + name
        } else if name.hasPrefix("_") && !name.hasPrefix("__") {
            name = "key" + name
        }
        return name
    }

    /// Flattens an attribute into labels: a map value becomes one label per entry, named
    /// `key_subkey` (Loki's `attributeToLabels`).
    static func flatten(_ kv: OTLPAttribute, prefix: String = "", into out: inout [Label]) {
        let name = normalize(prefix.isEmpty ? kv.key : prefix + "_" + kv.key)
        if case .kvlist(let pairs) = kv.value {
            for p in pairs { flatten(p, prefix: name, into: &out) }
        } else {
            out.append(Label(name: name, value: kv.value.asString))
        }
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, as trace and span ids are written.
    var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
