public import KansokuCore

/// A log line as explain reads it.
public struct ExplainLine: Sendable, Equatable {
    public var timestamp: Int64
    public var labels: Labels
    public var line: String
    public init(timestamp: Int64, labels: Labels, line: String) {
        self.timestamp = timestamp
        self.labels = labels
        self.line = line
    }
}

/// `name=value`: keeps the lines whose label, parsed field or pattern `name` has `value` (as the
/// ranking shows it, so a bucket such as `rt=[2,5)` filters too).
public struct ExplainFilter: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Reads `name=value` (the first `=` splits); nil without one or with an empty name.
    public init?(parsing text: String) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        name = String(text[..<eq])
        value = String(text[text.index(after: eq)...])
    }

    /// The filter in LogQL's words: a label filter, a numeric range, or a pattern line filter.
    public var logQL: String {
        if name == ExplainDimension.patternName {
            return "|> " + goQuoted(value.replacingOccurrences(of: "<*>", with: "<_>"))
        }
        if let (lo, hi) = FieldProfile.bounds(ofBucket: value) {
            return "| \(name) >= \(FieldProfile.compact(lo)) and \(name) < \(FieldProfile.compact(hi))"
        }
        return "| \(name)=\(goQuoted(value))"
    }

    public var description: String { "\(name)=\(value)" }
}

/// Where a dimension's values come from.
public enum ExplainDimension: String, Sendable, Codable {
    case label, field, pattern
    /// The name the pattern dimension goes by in rows and filters.
    public static let patternName = "pattern"
}

/// One value more common in the window than in the baseline.
public struct ChangedValue: Sendable, Equatable, Codable {
    public var dimension: ExplainDimension
    public var name: String
    public var value: String
    /// Whether `value` is a bucket or a normalised form rather than the value itself.
    public var grouped: Bool
    public var windowCount: Int
    public var windowShare: Double
    public var baselineCount: Int
    public var baselineShare: Double
    /// `windowShare - baselineShare`.
    public var score: Double
    /// The filter Enter adds, in LogQL's words.
    public var filter: String
}

/// One Drain pattern of the window's lines.
public struct PatternSummary: Sendable, Equatable, Codable {
    public var id: String
    public var pattern: String
    public var count: Int
    public var baselineCount: Int
    /// No baseline line has this pattern (also when the baseline has no lines at all).
    public var new: Bool
    /// The earliest line of the pattern in the window (RFC3339).
    public var firstSeen: String
    /// Line counts over the window in equal buckets, oldest first.
    public var trend: [Int]
    public var sparkline: String
}

/// A dimension left out of the ranking.
public struct SkippedDimension: Sendable, Equatable, Codable {
    public var name: String
    public var reason: String
}

/// The lines one side of the comparison was read from.
public struct ExplainSide: Sendable, Equatable, Codable {
    /// `window`, or the baseline's kind: `previous`, `yesterday`, `range`, `rest`.
    public var kind: String
    public var query: String
    public var start: String
    public var end: String
    public var lines: Int
    /// The lines are a sample: more matched than were read (taken evenly across the range).
    public var sampled: Bool
}

/// What changed in a window against a baseline: the values most over-represented in it and
/// the window's patterns, new ones marked.
public struct ExplainReport: Sendable, Equatable, Codable {
    public var query: String
    public var filters: [ExplainFilter]
    public var window: ExplainSide
    public var baseline: ExplainSide
    /// Why the baseline is not the one asked for, when it is not.
    public var note: String?
    /// How `changes` are ranked.
    public var scoring: String
    public var changes: [ChangedValue]
    public var patterns: [PatternSummary]
    public var skipped: [SkippedDimension]

    public static let scoringText = "score = share of window lines with the value - share of baseline lines with it; "
        + "highest first, ties by window count, then labels and fields before patterns; values in fewer than 2 window lines are left out"
}

extension ExplainFilter {
    /// Whether a line has this value as a label or a parsed field, or fits it as a pattern or a
    /// numeric bucket (for narrowing lines read without the ranking's profiles).
    public func matches(line: String, labels: Labels, fields: LineFields) -> Bool {
        if name == ExplainDimension.patternName {
            var p = LogPatterns()
            p.add(value, timestamp: 0, index: 0)
            return p.match(line) != nil
        }
        var candidates: [String] = []
        if let v = labels[name] { candidates.append(v) }
        for f in fields.fields(of: line) where f.name == name { candidates.append(f.value) }
        let range = FieldProfile.bounds(ofBucket: value)
        return candidates.contains { v in
            if v == value || FieldProfile.normaliseDigits(v) == value { return true }
            if let (lo, hi) = range, let x = Double(v) { return x >= lo && x < hi }
            return false
        }
    }
}
