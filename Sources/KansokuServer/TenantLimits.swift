import KansokuCore

/// The limits each tenant runs under: the `limits:` section for everyone, and Loki's
/// per-tenant `overrides:` (the runtime configuration's format) for the tenants named there.
/// An override lists only the keys that differ; the rest come from `limits:`.
///
/// ```yaml
/// limits: { ingestion_rate_mb: 4, max_query_series: 500 }
/// overrides:
///   cameras: { ingestion_rate_mb: 64, max_query_series: 5000 }
/// ```
public struct TenantLimits: Sendable {
    public var defaults: LimitsSettings
    public var overrides: [String: LimitsSettings]

    public init(defaults: LimitsSettings = LimitsSettings(), overrides: [String: LimitsSettings] = [:]) {
        self.defaults = defaults
        self.overrides = overrides
    }

    /// The limits of `tenant`.
    public func callAsFunction(_ tenant: String) -> LimitsSettings { overrides[tenant] ?? defaults }

    /// Reads the `overrides:` mapping, each tenant's keys over `defaults`; tenant names are
    /// checked as Loki checks `X-Scope-OrgID`, so an override can always apply to someone.
    static func decodeOverrides(from decoder: any Decoder, defaults: LimitsSettings) throws -> [String: LimitsSettings] {
        let c = try decoder.container(keyedBy: TenantKey.self)
        var out: [String: LimitsSettings] = [:]
        for key in c.allKeys {
            if let problem = TenantID.problem(key.stringValue) {
                throw ConfigError.invalid(key: "overrides.\(key.stringValue)", reason: problem)
            }
            out[key.stringValue] = try LimitsSettings(from: c.superDecoder(forKey: key), base: defaults)
        }
        return out
    }
}

/// A tenant name as a mapping key: any string is read, then checked.
private struct TenantKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
