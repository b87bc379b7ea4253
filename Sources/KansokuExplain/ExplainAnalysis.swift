import KansokuCore

/// The comparison itself, over lines already read: no queries, no clock, so tests give it
/// synthetic windows and know what must rank first.
public struct ExplainAnalysis: Sendable {
    /// The lines whose values are counted (the window) and those they are compared with.
    public var window: [ExplainLine]
    public var baseline: [ExplainLine]
    /// The lines a pattern must be absent from to be new; `baseline` when nil. (The time-based
    /// baseline's matching lines, even when the ranking compares with all of its lines.)
    public var patternBaseline: [ExplainLine]?
    public var start: Int64
    public var end: Int64
    /// Labels every line has by construction (the selector's `=` matchers): never informative.
    public var ignoredLabels: Set<String> = []
    public var filters: [ExplainFilter] = []
    /// How many changed values to return.
    public var top = 20
    /// Buckets of each pattern's trend.
    public var trendWidth = 20

    public init(window: [ExplainLine], baseline: [ExplainLine], start: Int64, end: Int64) {
        self.window = window
        self.baseline = baseline
        self.start = start
        self.end = end
    }

    struct Key: Hashable {
        var dimension: ExplainDimension
        var name: String
    }

    struct Value: Hashable {
        var key: Key
        var value: String
    }

    public struct Result: Sendable, Equatable {
        public var changes: [ChangedValue]
        public var patterns: [PatternSummary]
        public var skipped: [SkippedDimension]
        /// Window and baseline lines left after the filters.
        public var windowLines: Int
        public var baselineLines: Int
    }

    public func run(fields: LineFields = LineFields()) -> Result {
        // Patterns are learned from the window only; baseline lines are matched against them.
        var drain = LogPatterns()
        var windowPattern: [Int] = []
        windowPattern.reserveCapacity(window.count)
        for (i, l) in window.enumerated() { windowPattern.append(drain.add(l.line, timestamp: l.timestamp, index: i)) }
        let baselinePattern = baseline.map { drain.match($0.line) }

        // Raw values of every line, then each dimension's profile over all of them.
        func raw(_ l: ExplainLine, pattern: Int?) -> [Value] {
            var out: [Value] = []
            for label in l.labels where !ignoredLabels.contains(label.name) && !label.name.hasPrefix("__") {
                out.append(Value(key: Key(dimension: .label, name: label.name), value: label.value))
            }
            for f in fields.fields(of: l.line) { out.append(Value(key: Key(dimension: .field, name: f.name), value: f.value)) }
            if let pattern { out.append(Value(key: Key(dimension: .pattern, name: ExplainDimension.patternName), value: "#\(pattern)")) }
            return out
        }
        let windowRaw = window.indices.map { raw(window[$0], pattern: windowPattern[$0]) }
        let baselineRaw = baseline.indices.map { raw(baseline[$0], pattern: baselinePattern[$0]) }
        var valuesByKey: [Key: [String]] = [:]
        for line in windowRaw + baselineRaw { for v in line { valuesByKey[v.key, default: []].append(v.value) } }
        var profiles: [Key: FieldProfile] = [:]
        var skipped: [SkippedDimension] = []
        for (key, values) in valuesByKey {
            let p = key.dimension == .pattern ? FieldProfile.keep : FieldProfile.of(values)
            profiles[key] = p
            if case .skip(let reason) = p { skipped.append(SkippedDimension(name: key.name, reason: reason)) }
        }

        // The pattern dimension's values are the templates, as learned from the whole window.
        let templates = drain.patterns.map(\.text)
        func shown(_ line: [Value]) -> Set<Value> {
            var out = Set<Value>()
            for v in line {
                let p = profiles[v.key] ?? .keep
                if case .skip = p { continue }
                var value = v.key.dimension == .pattern ? templates[Int(v.value.dropFirst())!] : p.apply(v.value)
                if value.isEmpty { value = v.value }
                out.insert(Value(key: v.key, value: value))
            }
            return out
        }
        func passes(_ values: Set<Value>) -> Bool {
            filters.allSatisfy { f in values.contains { $0.key.name == f.name && $0.value == f.value } }
        }
        var windowKept: [Int] = []
        var windowCounts: [Value: Int] = [:]
        for (i, line) in windowRaw.enumerated() {
            let values = shown(line)
            guard passes(values) else { continue }
            windowKept.append(i)
            for v in values { windowCounts[v, default: 0] += 1 }
        }
        var baselineCounts: [Value: Int] = [:]
        var baselineKept = 0
        for line in baselineRaw {
            let values = shown(line)
            guard passes(values) else { continue }
            baselineKept += 1
            for v in values { baselineCounts[v, default: 0] += 1 }
        }

        let fixed = Set(filters.map(\.name))
        let w = Double(max(1, windowKept.count)), b = Double(max(1, baselineKept))
        var changes: [ChangedValue] = []
        for (v, count) in windowCounts where count >= 2 && !fixed.contains(v.key.name) {
            let bc = baselineCounts[v] ?? 0
            let ws = Double(count) / w, bs = baselineKept == 0 ? 0 : Double(bc) / b
            guard ws > bs else { continue }
            let grouped = profiles[v.key] != .keep
            let filter = ExplainFilter(name: v.key.name, value: v.value)
            changes.append(ChangedValue(dimension: v.key.dimension, name: v.key.name, value: v.value, grouped: grouped,
                                        windowCount: count, windowShare: ws, baselineCount: bc, baselineShare: bs,
                                        score: ws - bs, filter: filter.logQL))
        }
        changes.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.windowCount != b.windowCount { return a.windowCount > b.windowCount }
            // A label or field can be filtered on and read at a glance; a pattern less so.
            if (a.dimension == .pattern) != (b.dimension == .pattern) { return b.dimension == .pattern }
            return (a.name, a.value) < (b.name, b.value)
        }

        let patterns = summarise(drain, windowKept: windowKept, windowPattern: windowPattern)
        return Result(changes: Array(changes.prefix(top)), patterns: patterns,
                      skipped: skipped.sorted { $0.name < $1.name }, windowLines: windowKept.count, baselineLines: baselineKept)
    }

    /// The window's patterns over the kept lines, most frequent first, new ones marked against
    /// the pattern baseline.
    func summarise(_ drain: LogPatterns, windowKept: [Int], windowPattern: [Int]) -> [PatternSummary] {
        var counts = [Int](repeating: 0, count: drain.patterns.count)
        var times = [[Int64]](repeating: [], count: drain.patterns.count)
        for i in windowKept {
            counts[windowPattern[i]] += 1
            times[windowPattern[i]].append(window[i].timestamp)
        }
        var known = [Int](repeating: 0, count: drain.patterns.count)
        for l in patternBaseline ?? baseline { if let p = drain.match(l.line) { known[p] += 1 } }
        let order = drain.patterns.indices.filter { counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        return order.enumerated().map { rank, p in
            let trend = LogPatterns.trend(times[p], start: start, end: end, width: trendWidth)
            return PatternSummary(id: "p\(rank + 1)", pattern: drain.patterns[p].text, count: counts[p], baselineCount: known[p],
                                  new: known[p] == 0, firstSeen: TimeFormatter.rfc3339Nano(times[p].min() ?? start),
                                  trend: trend, sparkline: LogPatterns.sparkline(trend))
        }
    }
}
