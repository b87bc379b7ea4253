public import KansokuCore

/// Everything that can go wrong parsing or running a PromQL query.
public enum PromQLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A syntax or type error, printed as Prometheus prints them: `1:15: parse error: unexpected "}"`.
    case parse(position: SourcePosition, message: String)
    /// The query was well formed but could not be evaluated (e.g. duplicate label sets).
    case execution(String)
    /// The storage failed to answer a selection.
    case storage(String)
    /// The query asked for more than the engine allows (too many points, samples).
    case limit(String)
    /// The query ran past the engine's timeout (`query timed out in expression evaluation`).
    case timeout(String)
    /// The query's task was cancelled, e.g. because its client went away.
    case canceled(String)

    public var description: String {
        switch self {
        case .parse(let p, let m): return "\(p.line):\(p.column): parse error: \(m)"
        case .execution(let m), .storage(let m), .limit(let m), .timeout(let m), .canceled(let m): return m
        }
    }

    /// The bare message without position prefix.
    public var message: String {
        switch self {
        case .parse(_, let m), .execution(let m), .storage(let m), .limit(let m), .timeout(let m), .canceled(let m): return m
        }
    }

    /// Prometheus's `ErrTooManySamples`: always reported for "query execution", whichever
    /// part of the query (selection, subquery, range assembly) went over the limit.
    static let tooManySamples = PromQLError.limit("query processing would load too many samples into memory in query execution")
}
