public import KansokuCore

/// Parser for the Prometheus text format 0.0.4, as lenient as Prometheus's own
/// (`model/textparse/promparse.go`): blank lines and free comments are skipped, blanks are
/// allowed inside braces and around values, `{a="b",}` is fine, timestamps are integer
/// milliseconds, `# EOF` is just a comment. Rejected: single-quoted or unterminated label
/// values, invalid UTF-8 in label values, duplicate label names, hex floats, `1_2`,
/// a body whose last line does not end in a newline.
public struct PromTextParser: ExpositionParser {
    var scanner: ExpositionScanner
    var line = SampleLine()
    /// The family named by the last `# TYPE` line, and its type.
    var typedFamily: Range<Int> = 0..<0
    var typedFamilyType: MetricType = .unknown

    public init(_ bytes: [UInt8]) { scanner = ExpositionScanner(bytes: bytes) }

    public var sampleSeriesKey: ArraySlice<UInt8> { scanner.bytes[line.series] }
    public var sampleName: String { scanner.string(line.name) }
    public func sampleLabels() -> Labels { line.labelSet(scanner) }
    public var sampleValue: Double { line.value }
    public var sampleTimestamp: Int64? { line.timestamp }
    public var sampleExemplar: Exemplar? { nil }

    public var sampleType: MetricType {
        let bytes = scanner.bytes
        let name = bytes[line.name]
        let family = bytes[typedFamily]
        guard !family.isEmpty, name.starts(with: family) else { return .unknown }
        let suffix = name.dropFirst(family.count)
        if suffix.isEmpty { return typedFamilyType }
        switch typedFamilyType {
        case .histogram:
            if suffix.elementsEqual("_bucket".utf8) || suffix.elementsEqual("_sum".utf8)
                || suffix.elementsEqual("_count".utf8) { return .histogram }
        case .summary:
            if suffix.elementsEqual("_sum".utf8) || suffix.elementsEqual("_count".utf8) { return .summary }
        default: break
        }
        return .unknown
    }

    public mutating func next() throws(ExpositionError) -> ExpositionEntry? {
        while !scanner.atEnd {
            scanner.skipBlanks()
            guard let b = scanner.peek else { return nil }
            if b == UInt8(ascii: "\n") {
                scanner.beginNextLine(after: scanner.pos)
                continue
            }
            if b == UInt8(ascii: "#") {
                if let entry = try comment() { return entry }
                continue
            }
            try sample()
            return .sample
        }
        return nil
    }

    /// A `#` line: HELP or TYPE metadata, or a free comment (nil).
    private mutating func comment() throws(ExpositionError) -> ExpositionEntry? {
        scanner.pos += 1
        scanner.skipBlanks()
        let keyword = scanner.scanToken()
        let bytes = scanner.bytes
        let isHelp = bytes[keyword].elementsEqual("HELP".utf8)
        let isType = bytes[keyword].elementsEqual("TYPE".utf8)
        guard (isHelp || isType), let next = scanner.peek, isBlank(next) else {
            scanner.beginNextLine(after: scanner.endOfLine())
            return nil
        }
        scanner.skipBlanks()
        guard let name = scanner.scanMetricName() else { throw scanner.expected("metric name after \(isHelp ? "HELP" : "TYPE")") }
        let eol = scanner.endOfLine()
        if scanner.pos < eol && !isBlank(bytes[scanner.pos]) {
            throw scanner.expected("space after metric name")
        }
        scanner.skipBlanks()
        let entry: ExpositionEntry
        if isHelp {
            entry = .help(metric: scanner.string(name), text: scanner.helpText(scanner.pos..<eol, quotes: false))
        } else {
            let word = scanner.scanToken()
            let type: MetricType
            switch scanner.string(word) {
            case "counter": type = .counter
            case "gauge": type = .gauge
            case "histogram": type = .histogram
            case "summary": type = .summary
            case "untyped": type = .unknown
            default: throw scanner.expected("metric type (counter, gauge, histogram, summary or untyped)", at: word.lowerBound)
            }
            scanner.skipBlanks()
            guard scanner.pos == eol else { throw scanner.expected("end of line after metric type") }
            typedFamily = name
            typedFamilyType = type
            entry = .type(metric: scanner.string(name), type)
        }
        try endLine(at: eol)
        return entry
    }

    private mutating func sample() throws(ExpositionError) {
        line.reset()
        let start = scanner.pos
        guard let name = scanner.scanMetricName() else { throw scanner.expected("metric name") }
        line.name = name
        line.series = name
        scanner.skipBlanks()
        if scanner.peek == UInt8(ascii: "{") {
            try scanner.scanLabelSet(into: &line.labels, syntax: .prometheusText)
            line.series = start..<scanner.pos
            scanner.skipBlanks()
        } else if scanner.pos == name.upperBound {
            throw scanner.expected("space or \"{\" after the metric name")
        }
        let valueRange = scanner.scanToken()
        guard !valueRange.isEmpty else { throw scanner.expected("sample value") }
        guard let value = FloatText.parse(scanner.bytes, valueRange) else {
            throw scanner.expected("sample value (a float, NaN or ±Inf)", at: valueRange.lowerBound)
        }
        line.value = value
        scanner.skipBlanks()
        let eol = scanner.endOfLine()
        if scanner.pos < eol {
            let tsRange = scanner.scanToken()
            guard let ts = FloatText.parseInt64(scanner.bytes, tsRange) else {
                throw scanner.expected("timestamp (integer milliseconds)", at: tsRange.lowerBound)
            }
            line.timestamp = ts
            scanner.skipBlanks()
            guard scanner.pos == eol else { throw scanner.expected("end of line after timestamp") }
        }
        try endLine(at: eol)
    }

    private mutating func endLine(at eol: Int) throws(ExpositionError) {
        guard eol < scanner.bytes.count else {
            throw scanner.error("expected newline at end of input (the body must end with \"\\n\")", at: eol)
        }
        scanner.beginNextLine(after: eol)
    }
}
