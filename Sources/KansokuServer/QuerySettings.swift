public import KansokuCore
import KansokuPromQL

/// The `query:` section of kansoku.yaml: Prometheus's bounds on every PromQL query, named
/// after its `--query.*` flags.
///
/// ```yaml
/// query:
///   timeout: 2m             # --query.timeout
///   max_samples: 50000000   # --query.max-samples
///   max_concurrency: 20     # --query.max-concurrency
///   lookback_delta: 5m      # --query.lookback-delta
/// ```
public struct QuerySettings: Decodable, Sendable {
    /// Longest a query may evaluate before it stops with `query timed out in expression evaluation`.
    public var timeout = PromDuration(milliseconds: 120_000)
    /// Most samples one query may hold in memory at once.
    public var maxSamples = 50_000_000
    /// Most queries evaluating at once; the rest wait for a place.
    public var maxConcurrency = 20
    /// How far back an instant selector looks for a sample.
    public var lookbackDelta = PromDuration(milliseconds: 300_000)

    public init() {}

    enum CodingKeys: String, CodingKey {
        case timeout
        case maxSamples = "max_samples"
        case maxConcurrency = "max_concurrency"
        case lookbackDelta = "lookback_delta"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        timeout = try Self.duration(c, .timeout) ?? timeout
        lookbackDelta = try Self.duration(c, .lookbackDelta) ?? lookbackDelta
        maxSamples = try c.decodeIfPresent(Int.self, forKey: .maxSamples) ?? maxSamples
        maxConcurrency = try c.decodeIfPresent(Int.self, forKey: .maxConcurrency) ?? maxConcurrency
        guard maxSamples > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .maxSamples, in: c, debugDescription: "must be positive, got \(maxSamples)")
        }
        guard maxConcurrency > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .maxConcurrency, in: c, debugDescription: "must be positive, got \(maxConcurrency)")
        }
    }

    /// A positive Prometheus duration (`2m`, `90s`).
    private static func duration(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> PromDuration? {
        guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let d = PromDuration(text), d.milliseconds > 0 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected a positive duration such as 2m, got \"\(text)\"")
        }
        return d
    }

    /// A PromQL engine over `queryable` bounded by these settings. Each call makes a
    /// concurrency gate of its own, shared by that engine's copies.
    func engine(queryable: any Queryable) -> PromQLEngine {
        var e = PromQLEngine(queryable: queryable, lookbackDelta: lookbackDelta.milliseconds)
        e.timeout = .milliseconds(timeout.milliseconds)
        e.maxSamples = maxSamples
        e.gate = QueryGate(limit: maxConcurrency)
        return e
    }
}
