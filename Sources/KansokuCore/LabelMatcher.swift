/// How a matcher compares a label's value.
public enum MatchType: String, Sendable, Hashable, CaseIterable {
    case equal = "="
    case notEqual = "!="
    case regexMatch = "=~"
    case regexNoMatch = "!~"
}

/// A label matcher as in `{app="api", level=~"warn|error"}`. Regexes are fully anchored,
/// as Prometheus and Loki anchor them.
public struct LabelMatcher: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let type: MatchType
    public let value: String
    /// The compiled regex for `=~` and `!~`.
    public let regex: RE2Regex?

    public init(name: String, type: MatchType, value: String) throws(RegexError) {
        self.name = name
        self.type = type
        self.value = value
        switch type {
        case .regexMatch, .regexNoMatch: regex = try RE2Regex(value, anchor: .both)
        case .equal, .notEqual: regex = nil
        }
    }

    /// Whether a label value (the empty string for a missing label) satisfies the matcher.
    public func matches(_ labelValue: String) -> Bool {
        switch type {
        case .equal: return labelValue == value
        case .notEqual: return labelValue != value
        case .regexMatch: return regex!.matches(labelValue)
        case .regexNoMatch: return !regex!.matches(labelValue)
        }
    }

    /// Whether the matcher also selects series that lack the label (it matches "").
    public var matchesEmpty: Bool { matches("") }

    public func matches(_ labels: Labels) -> Bool { matches(labels[name] ?? "") }

    public var description: String { "\(name)\(type.rawValue)\(goQuoted(value))" }

    public static func == (a: LabelMatcher, b: LabelMatcher) -> Bool {
        a.name == b.name && a.type == b.type && a.value == b.value
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(type)
        h.combine(value)
    }
}

extension Array where Element == LabelMatcher {
    /// True when every matcher accepts `labels`.
    public func matches(_ labels: Labels) -> Bool { allSatisfy { $0.matches(labels) } }
}
