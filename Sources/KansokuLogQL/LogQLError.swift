/// Errors from parsing or running a LogQL query.
public enum LogQLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A syntax or validation error. Line and column are 1-based; Loki reports some errors
    /// with line 0 (after multi-character tokens) and validation errors with 0, 0.
    case parse(message: String, line: Int, column: Int)
    /// A well-formed query that cannot run (limits, unsupported shapes, store failures).
    case execution(String)
    /// The query's task was cancelled (its deadline passed or its client went away); the
    /// caller decides which of the two to report.
    case cancelled

    public var message: String {
        switch self {
        case .parse(let m, _, _): return m
        case .execution(let m): return m
        case .cancelled: return "context canceled"
        }
    }

    public var description: String {
        switch self {
        case .parse(let m, let line, let col):
            if line == 0 && col == 0 { return "parse error : \(m)" }
            return "parse error at line \(line), col \(col): \(m)"
        case .execution(let m): return m
        case .cancelled: return "context canceled"
        }
    }

    static func validation(_ message: String) -> LogQLError { .parse(message: message, line: 0, column: 0) }
}
