import KansokuCore

/// The parts of the sample line a parser is positioned on, as ranges into the body.
struct SampleLine {
    struct LabelRef {
        var name: Range<Int>
        var value: Range<Int>
        var escaped: Bool
    }

    var name: Range<Int> = 0..<0
    /// From the first byte of the name through the closing `}` (or the end of the name).
    var series: Range<Int> = 0..<0
    var labels: [LabelRef] = []
    var value: Double = 0
    var timestamp: Int64?
    var exemplar: Exemplar?

    mutating func reset() {
        labels.removeAll(keepingCapacity: true)
        timestamp = nil
        exemplar = nil
    }

    /// The label set including `__name__`.
    func labelSet(_ scanner: ExpositionScanner) -> Labels {
        var out: [Label] = []
        out.reserveCapacity(labels.count + 1)
        out.append(Label(name: "__name__", value: scanner.string(name)))
        for l in labels {
            out.append(Label(name: scanner.string(l.name), value: scanner.labelValue(l.value, escaped: l.escaped)))
        }
        out.sort()
        return Labels(sorted: out)
    }

    /// The value of label `name` (unescaped), if present.
    func labelValue(_ name: String, _ scanner: ExpositionScanner) -> String? {
        for l in labels where l.name.count == name.utf8.count {
            if scanner.bytes[l.name].elementsEqual(name.utf8) {
                return scanner.labelValue(l.value, escaped: l.escaped)
            }
        }
        return nil
    }
}

/// Grammar differences between the two formats inside `{…}`.
struct LabelSetSyntax {
    /// Prometheus text allows blanks around names, `=` and commas.
    var blanks: Bool
    /// Prometheus text allows `{a="b",}`.
    var trailingComma: Bool

    static let prometheusText = LabelSetSyntax(blanks: true, trailingComma: true)
    static let openMetrics = LabelSetSyntax(blanks: false, trailingComma: false)
}

extension ExpositionScanner {
    /// Parses `{name="value",…}` with the cursor on `{`, appending to `labels`.
    mutating func scanLabelSet(
        into labels: inout [SampleLine.LabelRef], syntax: LabelSetSyntax
    ) throws(ExpositionError) {
        _ = consume(UInt8(ascii: "{"))
        if syntax.blanks { skipBlanks() }
        if consume(UInt8(ascii: "}")) { return }
        while true {
            guard let name = scanLabelName() else { throw expected("label name") }
            if syntax.blanks { skipBlanks() }
            guard consume(UInt8(ascii: "=")) else { throw expected("\"=\" after label name") }
            if syntax.blanks { skipBlanks() }
            let (value, escaped) = try scanQuotedValue(what: "label value")
            for l in labels where bytes[l.name].elementsEqual(bytes[name]) {
                throw error("duplicate label name \(goQuoted(string(name)))", at: name.lowerBound)
            }
            labels.append(SampleLine.LabelRef(name: name, value: value, escaped: escaped))
            if syntax.blanks { skipBlanks() }
            if consume(UInt8(ascii: "}")) { return }
            guard consume(UInt8(ascii: ",")) else { throw expected("\",\" or \"}\" after label value") }
            if syntax.blanks { skipBlanks() }
            if syntax.trailingComma && consume(UInt8(ascii: "}")) { return }
        }
    }
}
