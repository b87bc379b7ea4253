public import KansokuCore

/// Renders metric families as Prometheus text 0.0.4 (what `/metrics` serves by default and
/// what `promtool check metrics` reads) or as OpenMetrics 1.0 when a scraper asks for it.
public enum TextExpositionWriter {
    /// The families in `format`; text 0.0.4 unless the caller negotiated OpenMetrics.
    public static func write(_ families: [MetricFamilySnapshot], format: ExpositionFormat = .prometheusText) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(families.count * 256)
        for family in families where !family.samples.isEmpty {
            let openMetrics = format == .openMetrics
            // OpenMetrics names a counter family without its `_total` suffix.
            var metadataName = family.name
            var sampleBase = family.name
            if openMetrics && family.kind == .counter {
                if metadataName.hasSuffix("_total") { metadataName.removeLast(6) } else { sampleBase += "_total" }
            }
            let type = openMetrics && family.kind == .untyped ? "unknown" : family.kind.rawValue
            if openMetrics {
                appendLine(&out, "# TYPE \(metadataName) \(type)")
                if !family.help.isEmpty { appendLine(&out, "# HELP \(metadataName) \(escapeHelp(family.help, quotes: true))") }
            } else {
                if !family.help.isEmpty { appendLine(&out, "# HELP \(metadataName) \(escapeHelp(family.help, quotes: false))") }
                appendLine(&out, "# TYPE \(metadataName) \(type)")
            }
            for s in family.samples {
                var labels = s.labels
                if openMetrics, let i = labels.firstIndex(where: { $0.name == "le" || $0.name == "quantile" }) {
                    labels[i].value = canonicalBound(labels[i].value)
                }
                writeSample(&out, name: sampleBase + s.suffix, labels: labels, value: s.value, timestamp: nil,
                            openMetrics: openMetrics)
            }
        }
        if format == .openMetrics { appendLine(&out, "# EOF") }
        return out
    }

    /// Samples (with their timestamps, in milliseconds) and metadata as text 0.0.4; TYPE and
    /// HELP lines precede the first sample named exactly after a family.
    public static func write(_ exposition: ParsedExposition) -> [UInt8] {
        var out: [UInt8] = []
        var written: Set<String> = []
        for s in exposition.samples {
            let name = s.labels["__name__"] ?? ""
            if !written.contains(name), let meta = exposition.metadata[name] {
                written.insert(name)
                if let help = meta.help { appendLine(&out, "# HELP \(name) \(escapeHelp(help, quotes: false))") }
                if [.counter, .gauge, .histogram, .summary, .unknown].contains(meta.type) {
                    appendLine(&out, "# TYPE \(name) \(meta.type.textKeyword)")
                }
            }
            writeSample(&out, name: name, labels: s.labels.filter { $0.name != "__name__" }, value: s.value,
                        timestamp: s.timestamp, openMetrics: false)
        }
        return out
    }

    static func writeSample(_ out: inout [UInt8], name: String, labels: [Label], value: Double, timestamp: Int64?,
                            openMetrics: Bool) {
        out.append(contentsOf: name.utf8)
        if !labels.isEmpty {
            out.append(UInt8(ascii: "{"))
            for (i, l) in labels.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: l.name.utf8)
                out.append(contentsOf: "=\"".utf8)
                appendEscapedLabelValue(&out, l.value)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: FloatText.format(value).utf8)
        if let timestamp {
            out.append(UInt8(ascii: " "))
            if openMetrics {
                out.append(contentsOf: FloatText.format(Double(timestamp) / 1000).utf8)
            } else {
                out.append(contentsOf: String(timestamp).utf8)
            }
        }
        out.append(UInt8(ascii: "\n"))
    }

    static func appendEscapedLabelValue(_ out: inout [UInt8], _ value: String) {
        for b in value.utf8 {
            switch b {
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            default: out.append(b)
            }
        }
    }

    static func escapeHelp(_ text: String, quotes: Bool) -> String {
        var s = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\"" where quotes: s += "\\\""
            default: s.unicodeScalars.append(c)
            }
        }
        return s
    }

    /// `1` → `1.0`, as OpenMetrics recommends for `le` and `quantile` values.
    static func canonicalBound(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard let v = FloatText.parse(bytes, 0..<bytes.count) else { return text }
        let f = FloatText.format(v)
        if v.isInfinite || v.isNaN || f.contains(".") || f.contains("e") { return f }
        return f + ".0"
    }

    private static func appendLine(_ out: inout [UInt8], _ line: String) {
        out.append(contentsOf: line.utf8)
        out.append(UInt8(ascii: "\n"))
    }
}
