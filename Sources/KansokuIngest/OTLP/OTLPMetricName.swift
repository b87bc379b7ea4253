extension OTLPMetricTranslation {
    /// OTLP units (UCUM) as Prometheus unit suffixes.
    static let units: [String: String] = [
        "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds", "us": "microseconds",
        "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
        "TiBy": "tibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes",
        "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius",
        "Hz": "hertz", "1": "", "%": "percent",
    ]

    /// The denominators of "per" units (`m/s` → `meters_per_second`).
    static let perUnits: [String: String] = ["s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"]

    /// Prometheus's name for an OTLP metric (`otlptranslator` with suffixes): the name split
    /// at characters outside `[a-zA-Z0-9:]` and joined with `_`, then the unit, the "per"
    /// unit, `total` for monotonic sums and `ratio` for gauges of unit `1`, each once.
    public static func metricName(_ metric: OTLPMetric) -> String {
        var tokens = split(metric.name) { !isNameCharacter($0) }
        let (main, per) = unitSuffixes(metric.unit)
        if !main.isEmpty && !tokens.contains(main) { tokens.append(main) }
        if !per.isEmpty && !tokens.contains(per) { tokens.append(per) }
        if case .sum(_, _, monotonic: true) = metric.data {
            tokens.removeAll { $0 == "total" }
            tokens.append("total")
        }
        if metric.unit == "1", case .gauge = metric.data {
            tokens.removeAll { $0 == "ratio" }
            tokens.append("ratio")
        }
        var name = tokens.joined(separator: "_")
        if let first = name.unicodeScalars.first, ("0"..."9").contains(first) { name = "_" + name }
        return name
    }

    static func unitSuffixes(_ unit: String) -> (main: String, per: String) {
        let parts = unit.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        var main = "", per = ""
        if let first = parts.first {
            let u = first.trimmingSpaces
            if !u.isEmpty && !u.contains("{") && !u.contains("}") { main = cleanUnit(units[u] ?? u) }
        }
        if parts.count > 1, !parts[1].isEmpty {
            let u = parts[1].trimmingSpaces
            if !u.isEmpty && !u.contains("{") && !u.contains("}") { per = cleanUnit(perUnits[u] ?? u) }
            if !per.isEmpty { per = "per_" + per }
        }
        if !per.isEmpty, main.hasSuffix("_") { main.removeLast() }
        return (main, per)
    }

    /// Characters outside `[a-zA-Z0-9:]` become `_`, runs of `_` one, and a leading `_` goes.
    static func cleanUnit(_ unit: String) -> String {
        var out = ""
        for u in unit.unicodeScalars {
            let c: Character = isNameCharacter(u) ? Character(u) : "_"
            if c == "_" && out.hasSuffix("_") { continue }
            out.append(c)
        }
        if out.hasPrefix("_") { out.removeFirst() }
        return out
    }

    static func isNameCharacter(_ u: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(u) || ("A"..."Z").contains(u) || ("0"..."9").contains(u) || u == ":"
    }

    static func split(_ s: String, where separator: (Unicode.Scalar) -> Bool) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if separator(u) {
                if !current.isEmpty { tokens.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(u)
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }
}

private extension String {
    /// Without leading and trailing whitespace, as Go's `strings.TrimSpace`.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
