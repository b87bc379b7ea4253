/// Groups log lines into templates the way Drain does: tokens that look variable (numbers,
/// ids, hex, paths with digits) become `<*>`; lines with the same token count and leading
/// tokens join the most similar template if at least half their tokens agree, and the
/// template keeps only the tokens all its lines share.
public struct LogPatterns: Sendable {
    public struct Pattern: Sendable, Equatable {
        public var template: [Substring]
        public var count: Int
        /// Line timestamps (ns), for the sparkline.
        public var timestamps: [Int64]
        /// Indexes of the lines (in the input order) that fell in this pattern.
        public var lines: [Int]
        /// No line of the baseline has this pattern (also when the baseline has no lines).
        public var isNew = false
        /// Baseline lines that fit this pattern.
        public var baselineCount = 0
        public var text: String { template.joined(separator: " ") }
        /// The earliest line's time (ns).
        public var firstSeen: Int64? { timestamps.min() }
    }

    public private(set) var patterns: [Pattern] = []
    let similarity: Double

    public init(similarity: Double = 0.5) { self.similarity = similarity }

    static func isVariable(_ token: Substring) -> Bool {
        var digits = 0
        for c in token.utf8 where c >= 48 && c <= 57 { digits += 1 }
        return digits > 0 && (digits * 3 >= token.utf8.count || token.contains("=") == false)
    }

    static func tokens(_ line: String) -> [Substring] {
        line.split(separator: " ", omittingEmptySubsequences: true).map { t in
            if let eq = t.firstIndex(of: "="), isVariable(t[t.index(after: eq)...]) {
                return Substring(String(t[...eq]) + "<*>")
            }
            return isVariable(t) ? "<*>" : t
        }
    }

    /// The pattern most similar to `toks`, if similar enough to join it.
    func bestMatch(_ toks: [Substring]) -> Int? {
        var best = -1
        var bestScore = 0.0
        for (i, p) in patterns.enumerated() where p.template.count == toks.count && p.template.first == toks.first {
            var same = 0
            for (a, b) in zip(p.template, toks) where a == b { same += 1 }
            let score = toks.isEmpty ? 1 : Double(same) / Double(toks.count)
            if score > bestScore { bestScore = score; best = i }
        }
        return best >= 0 && bestScore >= similarity ? best : nil
    }

    /// Adds a line; returns the index of the pattern it joined or started.
    @discardableResult
    public mutating func add(_ line: String, timestamp: Int64, index: Int) -> Int {
        let toks = Self.tokens(line)
        if let best = bestMatch(toks) {
            for i in 0..<toks.count where patterns[best].template[i] != toks[i] { patterns[best].template[i] = "<*>" }
            patterns[best].count += 1
            patterns[best].timestamps.append(timestamp)
            patterns[best].lines.append(index)
            return best
        }
        patterns.append(Pattern(template: toks, count: 1, timestamps: [timestamp], lines: [index]))
        return patterns.count - 1
    }

    /// The pattern `line` fits without changing any template: every token the template keeps is
    /// the line's (a baseline line is matched, never learned from).
    public func match(_ line: String) -> Int? {
        let toks = Self.tokens(line)
        for (i, p) in patterns.enumerated() where p.template.count == toks.count && p.template.first == toks.first {
            if zip(p.template, toks).allSatisfy({ $0 == "<*>" || $0 == $1 }) { return i }
        }
        return nil
    }

    /// Marks each pattern new unless a baseline line fits it, and counts the baseline lines
    /// that do. An empty baseline makes every pattern new: nothing like it was seen before.
    public mutating func compare(baseline: some Sequence<String>) {
        for line in baseline { if let i = match(line) { patterns[i].baselineCount += 1 } }
        for i in patterns.indices { patterns[i].isNew = patterns[i].baselineCount == 0 }
    }

    /// Patterns of `lines` (text and time), most frequent first; `baseline` marks which are new.
    public static func cluster(_ lines: [(line: String, timestamp: Int64)], baseline: [String]) -> [Pattern] {
        var p = LogPatterns()
        for (i, l) in lines.enumerated() { p.add(l.line, timestamp: l.timestamp, index: i) }
        p.compare(baseline: baseline)
        return p.patterns.sorted { $0.count > $1.count }
    }

    /// Line counts of `timestamps` over [start, end) in `width` buckets.
    public static func trend(_ timestamps: [Int64], start: Int64, end: Int64, width: Int) -> [Int] {
        guard width > 0, end > start else { return [] }
        var buckets = [Int](repeating: 0, count: width)
        let span = Double(end - start)
        for t in timestamps where t >= start && t < end {
            buckets[min(width - 1, Int(Double(t - start) / span * Double(width)))] += 1
        }
        return buckets
    }

    /// A sparkline of `timestamps` over [start, end) in `width` buckets.
    public static func sparkline(_ timestamps: [Int64], start: Int64, end: Int64, width: Int) -> String {
        sparkline(trend(timestamps, start: start, end: end, width: width))
    }

    /// A sparkline of bucket counts: empty buckets blank, the fullest a full block.
    public static func sparkline(_ buckets: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        let top = max(1, buckets.max() ?? 1)
        return String(buckets.map { $0 == 0 ? " " : bars[min(7, $0 * 8 / (top + 1))] })
    }
}
