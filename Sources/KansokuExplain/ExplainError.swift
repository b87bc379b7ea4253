public import KansokuLogQL

/// Why an explanation could not be made.
public enum ExplainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The query does not parse, or is a metric query.
    case invalidQuery(String)
    /// A range, size or count outside what explain accepts.
    case invalidArgument(String)
    /// Reading the lines failed.
    case query(LogQLError)

    public var description: String {
        switch self {
        case .invalidQuery(let m): return "invalid query: \(m)"
        case .invalidArgument(let m): return m
        case .query(let e): return e.description
        }
    }

    /// Whether the caller is at fault (a 4xx over HTTP, exit status 2 on the command line).
    public var isUserError: Bool {
        switch self {
        case .invalidQuery, .invalidArgument: return true
        case .query(let e):
            if case .parse = e { return true }
            return false
        }
    }
}
