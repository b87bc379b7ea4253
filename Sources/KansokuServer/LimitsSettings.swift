public import KansokuCore

/// The `limits:` section of kansoku.yaml: Loki's `limits_config`, with its key names and
/// defaults, so a Loki user's settings carry over. Every limit is checked before the work it
/// bounds (a push before it is appended, a query before it is run); 0 disables a limit where
/// Loki allows that.
public struct LimitsSettings: Decodable, Sendable {
    /// How long a LogQL query may run before it is answered with 504 (Loki: 1m).
    public var queryTimeout = PromDuration(milliseconds: 60_000)
    /// The most series a metric query may return.
    public var maxQuerySeries = 500
    /// The longest `end - start` (and the longest range vector) a query may span (Loki: 721h).
    public var maxQueryLength = PromDuration(milliseconds: 721 * 3_600_000)
    /// The most log lines one query may return; nil falls back to `server.max_entries_limit`.
    public var maxEntriesLimitPerQuery: Int?
    /// The longest line a push may carry (Loki: 256KB).
    public var maxLineSize = 256_000
    public var maxLabelNamesPerSeries = 15
    public var maxLabelNameLength = 1024
    public var maxLabelValueLength = 2048
    /// Tenant ingestion rate and burst, in MiB as Loki counts them.
    public var ingestionRateMB = 4.0
    public var ingestionBurstSizeMB = 6.0
    /// Per-stream ingestion rate and burst, in bytes.
    public var perStreamRateLimit = 3 << 20
    public var perStreamRateLimitBurst = 15 << 20
    /// The most bytes one `line_format`/`label_format` rendering may build per line.
    public var maxTemplateOutputBytes = 1 << 20

    public init() {}

    enum CodingKeys: String, CodingKey {
        case queryTimeout = "query_timeout"
        case maxQuerySeries = "max_query_series"
        case maxQueryLength = "max_query_length"
        case maxEntriesLimitPerQuery = "max_entries_limit_per_query"
        case maxLineSize = "max_line_size"
        case maxLabelNamesPerSeries = "max_label_names_per_series"
        case maxLabelNameLength = "max_label_name_length"
        case maxLabelValueLength = "max_label_value_length"
        case ingestionRateMB = "ingestion_rate_mb"
        case ingestionBurstSizeMB = "ingestion_burst_size_mb"
        case perStreamRateLimit = "per_stream_rate_limit"
        case perStreamRateLimitBurst = "per_stream_rate_limit_burst"
        case maxTemplateOutputBytes = "max_template_output_bytes"
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, base: LimitsSettings())
    }

    /// Reads the keys present in `decoder`, taking the others from `base`: a tenant's
    /// override names only what differs from the `limits:` section.
    public init(from decoder: any Decoder, base: LimitsSettings) throws {
        self = base
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func duration(_ k: CodingKeys, _ def: PromDuration) throws -> PromDuration {
            guard let text = try c.decodeIfPresent(String.self, forKey: k) else { return def }
            guard let d = PromDuration(text), d.milliseconds >= 0 else {
                throw ConfigError.invalid(key: "limits.\(k.rawValue)", reason: "expected a duration such as 1m, got \"\(text)\"")
            }
            return d
        }
        func bytes(_ k: CodingKeys, _ def: Int) throws -> Int {
            if let n = try? c.decodeIfPresent(Int.self, forKey: k) { return n }
            guard let text = try c.decodeIfPresent(String.self, forKey: k) else { return def }
            guard let n = ByteSize.parseInt(text) else {
                throw ConfigError.invalid(key: "limits.\(k.rawValue)", reason: "expected a size such as 256KB or 3MB, got \"\(text)\"")
            }
            return n
        }
        queryTimeout = try duration(.queryTimeout, queryTimeout)
        maxQueryLength = try duration(.maxQueryLength, maxQueryLength)
        maxQuerySeries = try c.decodeIfPresent(Int.self, forKey: .maxQuerySeries) ?? maxQuerySeries
        maxEntriesLimitPerQuery = try c.decodeIfPresent(Int.self, forKey: .maxEntriesLimitPerQuery) ?? maxEntriesLimitPerQuery
        maxLineSize = try bytes(.maxLineSize, maxLineSize)
        maxLabelNamesPerSeries = try c.decodeIfPresent(Int.self, forKey: .maxLabelNamesPerSeries) ?? maxLabelNamesPerSeries
        maxLabelNameLength = try c.decodeIfPresent(Int.self, forKey: .maxLabelNameLength) ?? maxLabelNameLength
        maxLabelValueLength = try c.decodeIfPresent(Int.self, forKey: .maxLabelValueLength) ?? maxLabelValueLength
        ingestionRateMB = try c.decodeIfPresent(Double.self, forKey: .ingestionRateMB) ?? ingestionRateMB
        ingestionBurstSizeMB = try c.decodeIfPresent(Double.self, forKey: .ingestionBurstSizeMB) ?? ingestionBurstSizeMB
        perStreamRateLimit = try bytes(.perStreamRateLimit, perStreamRateLimit)
        perStreamRateLimitBurst = try bytes(.perStreamRateLimitBurst, perStreamRateLimitBurst)
        maxTemplateOutputBytes = try bytes(.maxTemplateOutputBytes, maxTemplateOutputBytes)
    }

    /// The tenant token bucket's rate and burst in bytes (Loki multiplies the MB by 2^20).
    var ingestionRateBytes: Double { ingestionRateMB * Double(1 << 20) }
    var ingestionBurstBytes: Double { ingestionBurstSizeMB * Double(1 << 20) }
}
