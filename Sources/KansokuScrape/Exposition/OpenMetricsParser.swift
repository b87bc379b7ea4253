public import KansokuCore

/// Parser for OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
///
/// The line grammar is always enforced: single spaces between tokens, no blank lines, only
/// `# HELP`/`# TYPE`/`# UNIT`/`# EOF` comments, timestamps in (float) seconds, exemplars
/// `# {labels} value [timestamp]`, and `# EOF` last. Family rules (suffixes per type,
/// grouping, histogram buckets, value ranges, name clashes) are checked only when `strict`
/// is set: Prometheus's scraper does not check them, so a scrape stays as tolerant as
/// Prometheus, while `strict` answers the OpenMetrics conformance suite.
public struct OpenMetricsParser: ExpositionParser {
    var scanner: ExpositionScanner
    var line = SampleLine()
    var sawEOF = false
    /// The current family: its name and type (set by metadata or by an unmatched sample).
    var family: Range<Int> = 0..<0
    var familyType: MetricType = .unknown
    var validator: OpenMetricsFamilyValidator?

    /// Maximum exemplar label-set length in Unicode code points (names plus values).
    static let maxExemplarLabelLength = 128

    public init(_ bytes: [UInt8], strict: Bool = false) {
        scanner = ExpositionScanner(bytes: bytes)
        validator = strict ? OpenMetricsFamilyValidator() : nil
    }

    public var sampleSeriesKey: ArraySlice<UInt8> { scanner.bytes[line.series] }
    public var sampleName: String { scanner.string(line.name) }
    public func sampleLabels() -> Labels { line.labelSet(scanner) }
    public var sampleValue: Double { line.value }
    public var sampleTimestamp: Int64? { line.timestamp }
    public var sampleExemplar: Exemplar? { line.exemplar }

    public var sampleType: MetricType {
        let bytes = scanner.bytes
        let name = bytes[line.name]
        let fam = bytes[family]
        guard !fam.isEmpty, name.starts(with: fam) else { return .unknown }
        let suffix = name.dropFirst(fam.count)
        for allowed in familyType.openMetricsSuffixes where suffix.elementsEqual(allowed.utf8) {
            return familyType
        }
        return .unknown
    }

    public mutating func next() throws(ExpositionError) -> ExpositionEntry? {
        let bytes = scanner.bytes
        guard !sawEOF else { return nil }
        guard let b = scanner.peek else {
            throw scanner.error("expected \"# EOF\" at the end of an OpenMetrics body, got end of input")
        }
        if b == UInt8(ascii: "\n") { throw scanner.error("blank lines are not allowed in OpenMetrics") }
        let eol = scanner.endOfLine()
        if b == UInt8(ascii: "#") {
            if bytes[scanner.pos..<eol].elementsEqual("# EOF".utf8) {
                sawEOF = true
                if eol < bytes.count {
                    guard eol + 1 == bytes.count else {
                        scanner.beginNextLine(after: eol)
                        throw scanner.error("unexpected text after \"# EOF\"")
                    }
                }
                try validator?.finish(at: scanner.position(at: scanner.pos))
                return nil
            }
            let entry = try metadata(eol: eol)
            try endLine(eol)
            return entry
        }
        try sample(eol: eol)
        try endLine(eol)
        return .sample
    }

    private mutating func endLine(_ eol: Int) throws(ExpositionError) {
        guard eol < scanner.bytes.count else {
            throw scanner.error("expected newline and \"# EOF\", got end of input", at: eol)
        }
        scanner.beginNextLine(after: eol)
    }

    private mutating func expectSpace(_ what: String) throws(ExpositionError) {
        guard scanner.consume(UInt8(ascii: " ")) else { throw scanner.expected("a single space \(what)") }
    }

    private mutating func metadata(eol: Int) throws(ExpositionError) -> ExpositionEntry {
        let lineStart = scanner.pos
        scanner.pos += 1
        try expectSpace("after \"#\"")
        let keyword = scanner.scanToken()
        let kw = scanner.string(keyword)
        guard kw == "HELP" || kw == "TYPE" || kw == "UNIT" else {
            throw scanner.expected("HELP, TYPE, UNIT or EOF after \"# \"", at: keyword.lowerBound)
        }
        try expectSpace("after \(kw)")
        guard let name = scanner.scanMetricName() else { throw scanner.expected("metric name after \(kw)") }
        try expectSpace("after the metric name")
        let rest = scanner.pos..<eol
        let metric = scanner.string(name)
        let entry: ExpositionEntry
        switch kw {
        case "HELP":
            entry = .help(metric: metric, text: scanner.helpText(rest, quotes: true))
        case "TYPE":
            let word = scanner.string(rest)
            guard let type = MetricType(rawValue: word) else {
                throw scanner.expected("metric type (counter, gauge, histogram, gaugehistogram, summary, info, stateset or unknown)")
            }
            entry = .type(metric: metric, type)
        default:
            for i in rest where !isMetricNameChar(scanner.bytes[i]) {
                throw scanner.expected("unit ([a-zA-Z0-9_:]) up to the end of line", at: i)
            }
            entry = .unit(metric: metric, unit: scanner.string(rest))
        }
        if !scanner.bytes[family].elementsEqual(scanner.bytes[name]) {
            family = name
            familyType = .unknown
        }
        if case .type(_, let type) = entry { familyType = type }
        try validator?.metadata(entry, at: scanner.position(at: lineStart))
        return entry
    }

    private mutating func sample(eol: Int) throws(ExpositionError) {
        line.reset()
        let start = scanner.pos
        guard let name = scanner.scanMetricName() else { throw scanner.expected("metric name") }
        line.name = name
        if scanner.peek == UInt8(ascii: "{") {
            try scanner.scanLabelSet(into: &line.labels, syntax: .openMetrics)
        }
        line.series = start..<scanner.pos
        try expectSpace("before the sample value")
        let valueRange = scanToken(eol)
        guard let value = FloatText.parse(scanner.bytes, valueRange) else {
            throw scanner.expected("sample value (a float, NaN or ±Inf)", at: valueRange.lowerBound)
        }
        line.value = value
        var timestampSeconds: Double?
        if scanner.pos < eol {
            try expectSpace("after the sample value")
            if scanner.peek != UInt8(ascii: "#") {
                let (ms, seconds) = try timestamp(eol)
                line.timestamp = ms
                timestampSeconds = seconds
                if scanner.pos < eol { try expectSpace("after the timestamp") }
            }
            if scanner.pos < eol { line.exemplar = try exemplar(eol) }
        }
        if !sampleMatchesFamily() {
            family = name
            familyType = .unknown
        }
        try validator?.sample(line, scanner: scanner, family: scanner.string(family), familyType: familyType,
                              timestampSeconds: timestampSeconds, at: scanner.position(at: start))
    }

    private func sampleMatchesFamily() -> Bool {
        let name = scanner.bytes[line.name]
        let fam = scanner.bytes[family]
        guard !fam.isEmpty, name.starts(with: fam) else { return false }
        let suffix = name.dropFirst(fam.count)
        return familyType.openMetricsSuffixes.contains { suffix.elementsEqual($0.utf8) }
    }

    private mutating func scanToken(_ eol: Int) -> Range<Int> {
        let s = scanner.pos
        while scanner.pos < eol && scanner.bytes[scanner.pos] != UInt8(ascii: " ") { scanner.pos += 1 }
        return s..<scanner.pos
    }

    /// A timestamp in seconds (integer or float, not NaN or ±Inf): milliseconds and seconds.
    private mutating func timestamp(_ eol: Int) throws(ExpositionError) -> (Int64, Double) {
        let range = scanToken(eol)
        guard let seconds = FloatText.parse(scanner.bytes, range), seconds.isFinite else {
            throw scanner.expected("timestamp (seconds since the epoch)", at: range.lowerBound)
        }
        return (FloatText.milliseconds(fromSeconds: seconds), seconds)
    }

    /// ` # {labels} value [timestamp]`, with the cursor on `#`.
    private mutating func exemplar(_ eol: Int) throws(ExpositionError) -> Exemplar {
        guard scanner.consume(UInt8(ascii: "#")) else { throw scanner.expected("\"#\" to start an exemplar or end of line") }
        try expectSpace("after \"#\" of the exemplar")
        guard scanner.peek == UInt8(ascii: "{") else { throw scanner.expected("\"{\" to open the exemplar labels") }
        let labelsStart = scanner.pos
        var refs: [SampleLine.LabelRef] = []
        try scanner.scanLabelSet(into: &refs, syntax: .openMetrics)
        var length = 0
        var labels: [Label] = []
        for r in refs {
            let name = scanner.string(r.name)
            let value = scanner.labelValue(r.value, escaped: r.escaped)
            length += name.unicodeScalars.count + value.unicodeScalars.count
            labels.append(Label(name: name, value: value))
        }
        if length > Self.maxExemplarLabelLength {
            throw scanner.error("exemplar labels are \(length) code points long, at most \(Self.maxExemplarLabelLength) allowed", at: labelsStart)
        }
        try expectSpace("after the exemplar labels")
        let valueRange = scanToken(eol)
        guard let value = FloatText.parse(scanner.bytes, valueRange) else {
            throw scanner.expected("exemplar value", at: valueRange.lowerBound)
        }
        var ts: Int64?
        if scanner.pos < eol {
            try expectSpace("after the exemplar value")
            ts = try timestamp(eol).0
            guard scanner.pos == eol else { throw scanner.expected("end of line after the exemplar timestamp") }
        }
        return Exemplar(labels: Labels(labels), value: value, timestamp: ts)
    }
}
