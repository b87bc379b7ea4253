import KansokuCore

/// The OpenMetrics 1.0 family rules, checked sample by sample (strict mode of
/// `OpenMetricsParser`): metadata placement, type suffixes, grouping and timestamp order
/// within a family, value ranges per type, exemplar placement, histogram bucket rules,
/// units, and name clashes between families.
struct OpenMetricsFamilyValidator {
    private struct Sample {
        var suffix: String
        var labels: [String: String]
        var value: Double
        var timestamp: Double?
        var position: SourcePosition
    }

    private struct Family {
        var name: String
        var type: MetricType?
        var help: String?
        var unit: String?
        var position: SourcePosition
        var samples: [Sample] = []
        var group: [String: String]?
        var groupTimestamp: Double?
        var seenGroups: Set<[String: String]> = []

        var allowedNames: [String] { (type ?? .unknown).openMetricsSuffixes.map { name + $0 } }
    }

    private var family: Family?
    /// Every sample name claimed by a finished family.
    private var claimedNames: Set<String> = []

    mutating func metadata(_ entry: ExpositionEntry, at position: SourcePosition) throws(ExpositionError) {
        let name: String
        switch entry {
        case .help(let m, _), .type(let m, _), .unit(let m, _): name = m
        case .sample: return
        }
        if let f = family, f.name == name, !f.samples.isEmpty {
            throw ExpositionError("metadata for \(name) after its samples: HELP, TYPE and UNIT must come first", at: position)
        }
        if family?.name != name {
            try finish(at: position)
            family = Family(name: name, position: position)
        }
        switch entry {
        case .help(_, let text):
            guard family!.help == nil else { throw ExpositionError("second HELP line for \(name)", at: position) }
            family!.help = text
        case .type(_, let type):
            guard family!.type == nil else { throw ExpositionError("second TYPE line for \(name)", at: position) }
            family!.type = type
        case .unit(_, let unit):
            guard family!.unit == nil else { throw ExpositionError("second UNIT line for \(name)", at: position) }
            family!.unit = unit
        case .sample: break
        }
    }

    mutating func sample(
        _ line: SampleLine, scanner: ExpositionScanner, family _: String, familyType _: MetricType,
        timestampSeconds: Double?, at position: SourcePosition
    ) throws(ExpositionError) {
        let sampleName = scanner.string(line.name)
        if family == nil || !family!.allowedNames.contains(sampleName) {
            try finish(at: position)
            family = Family(name: sampleName, type: .unknown, position: position)
        }
        var f = family!
        defer { family = f }
        let type = f.type ?? .unknown
        let suffix = String(sampleName.dropFirst(f.name.count))
        var labels: [String: String] = [:]
        for l in line.labels { labels[scanner.string(l.name)] = scanner.labelValue(l.value, escaped: l.escaped) }
        let value = line.value
        func fail(_ message: String) -> ExpositionError { ExpositionError(message + " (\(sampleName))", at: position) }

        if type == .stateset && labels[f.name] == nil {
            throw fail("stateset sample needs a label named after its family, \(f.name)")
        }
        if (type == .histogram || type == .gaugehistogram) && suffix == "_bucket" {
            guard let le = labels["le"], let bound = FloatText.parse(Array(le.utf8), 0..<le.utf8.count), !bound.isNaN else {
                throw fail("histogram bucket needs a numeric \"le\" label")
            }
        }
        if type == .summary && suffix.isEmpty {
            guard let q = labels["quantile"], let quantile = FloatText.parse(Array(q.utf8), 0..<q.utf8.count),
                  quantile >= 0, quantile <= 1 else {
                throw fail("summary quantile sample needs a \"quantile\" label between 0 and 1")
            }
        }

        let group = Self.group(of: labels, suffix: suffix, family: f.name, type: type)
        if let last = f.group, last != group, f.seenGroups.contains(group) {
            throw fail("samples of one label set must be contiguous within family \(f.name)")
        }
        if let last = f.group, last == group {
            if (timestampSeconds == nil) != (f.groupTimestamp == nil) {
                throw fail("mix of samples with and without timestamps in one label set")
            }
            if let prev = f.groupTimestamp, let ts = timestampSeconds, prev > ts, type != .info {
                throw fail("timestamps went backwards within one label set")
            }
        }
        f.group = group
        f.groupTimestamp = timestampSeconds
        f.seenGroups.insert(group)

        if type == .stateset && value != 0 && value != 1 { throw fail("stateset values must be 0 or 1") }
        if type == .info && value != 1 { throw fail("info values must be 1") }
        if type == .summary && suffix.isEmpty && value < 0 { throw fail("quantile values must not be negative") }
        let counterLike = ["_total", "_sum", "_count", "_bucket", "_gcount", "_gsum"]
        if counterLike.contains(suffix) && value.isNaN { throw fail("counter-like samples must not be NaN") }
        if counterLike.contains(suffix) && suffix != "_gsum" && value < 0 {
            throw fail("counter-like samples must not be negative")
        }
        if line.exemplar != nil {
            let allowed = ((type == .histogram || type == .gaugehistogram) && suffix == "_bucket")
                || (type == .counter && suffix == "_total")
            guard allowed else { throw fail("exemplars are allowed only on counter _total and histogram _bucket samples") }
        }
        f.samples.append(Sample(suffix: suffix, labels: labels, value: value, timestamp: timestampSeconds, position: position))
    }

    /// Closes the current family: name clashes, unit rules, histogram structure.
    mutating func finish(at position: SourcePosition) throws(ExpositionError) {
        guard let f = family else { return }
        family = nil
        let type = f.type ?? .unknown
        for suffix in Set(type.openMetricsSuffixes + [""]) {
            let claimed = f.name + suffix
            if claimedNames.contains(claimed) {
                throw ExpositionError("family \(f.name) clashes with an earlier family over the name \(claimed)", at: f.position)
            }
            claimedNames.insert(claimed)
        }
        if let unit = f.unit, !unit.isEmpty {
            guard f.name.hasSuffix("_" + unit) else {
                throw ExpositionError("family \(f.name) has unit \(unit) but its name does not end in _\(unit)", at: f.position)
            }
            guard type != .info && type != .stateset else {
                throw ExpositionError("\(type.rawValue) families cannot have a unit (\(f.name))", at: f.position)
            }
        }
        if type == .histogram || type == .gaugehistogram { try Self.checkHistogram(f) }
    }

    private static func group(of labels: [String: String], suffix: String, family: String, type: MetricType) -> [String: String] {
        var g = labels
        switch type {
        case .info: return [:]
        case .summary where suffix.isEmpty: g["quantile"] = nil
        case .stateset: g[family] = nil
        case .histogram where suffix == "_bucket", .gaugehistogram where suffix == "_bucket": g["le"] = nil
        default: break
        }
        return g
    }

    /// Per label set (and timestamp): ascending buckets with non-decreasing counts, a `+Inf`
    /// bucket equal to `_count`, `_sum` and `_count` together, no `_sum` with negative buckets,
    /// negative `_gsum` only with negative buckets.
    private static func checkHistogram(_ f: Family) throws(ExpositionError) {
        var i = 0
        let samples = f.samples
        while i < samples.count {
            let group = Self.group(of: samples[i].labels, suffix: samples[i].suffix, family: f.name, type: .histogram)
            let ts = samples[i].timestamp
            var count: Double?, lastBound: Double?, lastBoundText: String?, lastValue = 0.0
            var negativeBuckets = false, hasSum = false, hasGsum = false, negativeGsum = false
            var position = samples[i].position
            while i < samples.count,
                  Self.group(of: samples[i].labels, suffix: samples[i].suffix, family: f.name, type: .histogram) == group,
                  samples[i].timestamp == ts {
                let s = samples[i]
                position = s.position
                switch s.suffix {
                case "_bucket":
                    let text = s.labels["le"]!
                    let bound = FloatText.parse(Array(text.utf8), 0..<text.utf8.count)!
                    if bound < 0 { negativeBuckets = true }
                    if let lb = lastBound, bound <= lb {
                        throw ExpositionError("histogram buckets out of order in \(f.name)", at: s.position)
                    }
                    if s.value < lastValue {
                        throw ExpositionError("histogram bucket counts must not decrease in \(f.name)", at: s.position)
                    }
                    lastBound = bound
                    lastBoundText = text
                    lastValue = s.value
                case "_count", "_gcount": count = s.value
                case "_sum": hasSum = true
                case "_gsum":
                    hasGsum = true
                    if s.value < 0 { negativeGsum = true }
                default: break
                }
                i += 1
            }
            func fail(_ m: String) -> ExpositionError { ExpositionError(m + " in \(f.name)", at: position) }
            guard lastBoundText == "+Inf" else { throw fail("missing le=\"+Inf\" bucket") }
            if let count, count != lastValue { throw fail("_count does not match the +Inf bucket") }
            if hasSum && count == nil { throw fail("_sum without _count") }
            if hasGsum && count == nil { throw fail("_gsum without _gcount") }
            if !(hasSum || hasGsum) && count != nil { throw fail("_count without _sum") }
            if negativeBuckets && hasSum { throw fail("_sum is not allowed with negative buckets") }
            if !negativeBuckets && negativeGsum { throw fail("negative _gsum needs negative buckets") }
        }
    }
}
