public import KansokuCore

/// A pipeline (or target) configuration that cannot work, found when the server starts.
public enum PipelineConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidRegex(stage: Int, RegexError)
    case regexWithoutNamedGroups(stage: Int, pattern: String)
    case invalidJSONExpression(stage: Int, expression: String, reason: String)
    case invalidTimestampFormat(String, String)
    case unknownLocation(stage: Int, String)
    case invalidAction(stage: Int, String)
    case invalidLabelName(stage: Int, String)
    case invalidDuration(stage: Int, String)
    case invalidSize(stage: Int, String)
    case emptyDrop(stage: Int)
    case valueWithoutSource(stage: Int)
    case invalidGlob(String, reason: String)
    case invalidSetting(key: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .invalidRegex(let s, let e): return "pipeline stage \(s + 1) (regex): \(e)"
        case .regexWithoutNamedGroups(let s, let p):
            return "pipeline stage \(s + 1) (regex): \(goQuoted(p)) has no named group; use (?P<name>...) to extract fields"
        case .invalidJSONExpression(let s, let e, let r): return "pipeline stage \(s + 1) (json): expression \(goQuoted(e)): \(r)"
        case .invalidTimestampFormat(let f, let r): return "timestamp format \(goQuoted(f)): \(r)"
        case .unknownLocation(let s, let l): return "pipeline stage \(s + 1) (timestamp): unknown location \(goQuoted(l))"
        case .invalidAction(let s, let a):
            return "pipeline stage \(s + 1) (timestamp): action_on_failure \(goQuoted(a)): expected fudge or skip"
        case .invalidLabelName(let s, let n):
            return "pipeline stage \(s + 1): invalid label name \(goQuoted(n)): must match [a-zA-Z_][a-zA-Z0-9_]*"
        case .invalidDuration(let s, let d): return "pipeline stage \(s + 1) (drop): older_than \(goQuoted(d)) is not a duration like 24h"
        case .invalidSize(let s, let d): return "pipeline stage \(s + 1) (drop): longer_than \(goQuoted(d)) is not a size like 8KiB"
        case .emptyDrop(let s):
            return "pipeline stage \(s + 1) (drop): needs at least one of source, expression, value, older_than, longer_than"
        case .valueWithoutSource(let s): return "pipeline stage \(s + 1) (drop): value needs a source"
        case .invalidGlob(let g, let r): return "logs target path \(goQuoted(g)): \(r)"
        case .invalidSetting(let k, let v, let e): return "logs.\(k): \(goQuoted(v)) is not \(e)"
        }
    }
}

extension String {
    func trimming(_ c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s.removeFirst() }
        while s.last == c { s.removeLast() }
        return String(s)
    }
}
