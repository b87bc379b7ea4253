/// One label: a name and its value.
public struct Label: Hashable, Sendable, Comparable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public static func < (lhs: Label, rhs: Label) -> Bool {
        lhs.name != rhs.name ? lhs.name < rhs.name : lhs.value < rhs.value
    }
}

/// A label set, always sorted by name with unique names: the identity of a log
/// stream or a metric series.
public struct Labels: Hashable, Sendable, RandomAccessCollection, CustomStringConvertible {
    public private(set) var labels: [Label]

    public init() { labels = [] }

    /// Builds a set from labels in any order; for repeated names the last one wins.
    public init(_ labels: [Label]) {
        var byName: [String: String] = [:]
        for l in labels { byName[l.name] = l.value }
        self.labels = byName.map { Label(name: $0.key, value: $0.value) }.sorted()
    }

    public init(_ pairs: [String: String]) {
        labels = pairs.map { Label(name: $0.key, value: $0.value) }.sorted()
    }

    /// Trusts that `sorted` is already sorted by name without duplicates.
    public init(sorted: [Label]) { labels = sorted }

    public var startIndex: Int { labels.startIndex }
    public var endIndex: Int { labels.endIndex }
    public subscript(position: Int) -> Label { labels[position] }

    /// The value of `name`, or nil when the set has no such label.
    public subscript(name: String) -> String? {
        // Most label sets are small: equality, which compares small strings' bits first, is
        // cheaper than the ordering a binary search needs.
        if labels.count <= 8 {
            for l in labels where l.name == name { return l.value }
            return nil
        }
        var lo = 0, hi = labels.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if labels[mid].name < name { lo = mid + 1 } else { hi = mid }
        }
        return lo < labels.count && labels[lo].name == name ? labels[lo].value : nil
    }

    /// A copy with `name` set to `value` (an empty value removes the label, as in Prometheus).
    public func setting(_ name: String, to value: String) -> Labels {
        var out = labels.filter { $0.name != name }
        if !value.isEmpty {
            let i = out.firstIndex { $0.name > name } ?? out.count
            out.insert(Label(name: name, value: value), at: i)
        }
        return Labels(sorted: out)
    }

    public func removing(_ names: Set<String>) -> Labels {
        Labels(sorted: labels.filter { !names.contains($0.name) })
    }

    public func keeping(_ names: Set<String>) -> Labels {
        Labels(sorted: labels.filter { names.contains($0.name) })
    }

    /// `{a="1", b="2"}` with Go-style escaping, as Loki and Prometheus print label sets.
    public var description: String {
        var s = "{"
        for (i, l) in labels.enumerated() {
            if i > 0 { s += ", " }
            s += l.name
            s += "="
            s += goQuoted(l.value)
        }
        return s + "}"
    }

    /// A stable 64-bit hash (FNV-1a over name/value bytes with separators): the same on every
    /// run and machine, so it can name streams on disk. Collisions are handled by callers.
    public var stableHash: UInt64 {
        var h = FNV1a64()
        for l in labels {
            h.combine(l.name)
            h.combine(byte: 0xFF)
            h.combine(l.value)
            h.combine(byte: 0xFF)
        }
        return h.value
    }
}

/// FNV-1a, 64-bit: tiny, stable across processes (unlike `Hasher`), good enough for ids.
public struct FNV1a64: Sendable {
    public var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    @inlinable public mutating func combine(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
    }

    public mutating func combine(_ s: String) {
        var s = s
        s.withUTF8 { buf in for b in buf { combine(byte: b) } }
    }

    public mutating func combine(bytes: UnsafeRawBufferPointer) {
        for b in bytes { combine(byte: b) }
    }
}

/// Quotes `s` as Go's `strconv.Quote` does for printable text: the form label values take
/// in LogQL and PromQL output.
public func goQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\u{0B}": out += "\\v"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\x" + hex2(UInt8(scalar.value))
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

private func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}
