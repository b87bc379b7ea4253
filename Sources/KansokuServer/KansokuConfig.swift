import Foundation
import KansokuCore
public import KansokuIngest
public import KansokuNotify
public import KansokuRemoteWrite
public import KansokuScrape
import Yams

/// `kansoku.yaml`: every key optional, so an empty file (or none) runs on embedded defaults.
public struct KansokuConfig: Decodable, Sendable {
    public var server = ServerSettings()
    public var storage = StorageSettings()
    public var logs = LogsConfig()
    public var metrics = MetricsScrapeConfig()
    /// `metrics.remote_write`: where the metric WAL is forwarded (decoded beside the scrape keys).
    public var remoteWrite: [RemoteWriteConfig] = []
    public var rules = RulesSettings()
    public var notify: NotifyConfig?
    public var limits = LimitsSettings()
    /// `overrides:`, Loki's per-tenant limits, each over `limits:`.
    public var overrides: [String: LimitsSettings] = [:]
    public var query = QuerySettings()
    public var cluster = ClusterSettings()
    /// Set by `kansoku server --target`, not by the file.
    public var target = ServerTarget.all

    public init() {}

    enum CodingKeys: String, CodingKey { case server, storage, logs, metrics, rules, notify, limits, overrides, query, cluster }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        server = try c.decodeIfPresent(ServerSettings.self, forKey: .server) ?? server
        storage = try c.decodeIfPresent(StorageSettings.self, forKey: .storage) ?? storage
        logs = try c.decodeIfPresent(LogsConfig.self, forKey: .logs) ?? logs
        metrics = try c.decodeIfPresent(MetricsScrapeConfig.self, forKey: .metrics) ?? metrics
        remoteWrite = try c.decodeIfPresent(RemoteWriteSection.self, forKey: .metrics)?.remoteWrite ?? []
        rules = try c.decodeIfPresent(RulesSettings.self, forKey: .rules) ?? rules
        notify = try c.decodeIfPresent(NotifyConfig.self, forKey: .notify)
        limits = try c.decodeIfPresent(LimitsSettings.self, forKey: .limits) ?? limits
        if c.contains(.overrides) {
            overrides = try TenantLimits.decodeOverrides(from: c.superDecoder(forKey: .overrides), defaults: limits)
        }
        query = try c.decodeIfPresent(QuerySettings.self, forKey: .query) ?? query
        cluster = try c.decodeIfPresent(ClusterSettings.self, forKey: .cluster) ?? cluster
    }

    /// Each tenant's limits: `limits:` with the tenant's `overrides:`.
    public var tenantLimits: TenantLimits { TenantLimits(defaults: limits, overrides: overrides) }

    /// The `remote_write` key of the `metrics:` section.
    struct RemoteWriteSection: Decodable {
        var remoteWrite: [RemoteWriteConfig]?
        enum CodingKeys: String, CodingKey { case remoteWrite = "remote_write" }
    }

    /// Reads and validates a configuration file; errors name the file and, where YAML knows
    /// it, the line and column.
    public static func load(path: String) throws(ConfigError) -> KansokuConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "cannot read the file")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String = "kansoku.yaml") throws(ConfigError) -> KansokuConfig {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return KansokuConfig() }
        do {
            return try StrictYAMLDecoder.decode(KansokuConfig.self, from: text, file: path)
        } catch let e as UnknownYAMLKeys {
            throw .unknownKeys(e.keys)
        } catch let e as YamlError {
            throw Self.describe(e, path: path)
        } catch let e as DecodingError {
            throw Self.describe(e, path: path)
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
    }

    static func describe(_ e: YamlError, path: String) -> ConfigError {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
            return .syntax(path: path, line: mark.line, column: mark.column, reason: problem)
        default:
            return .unreadable(path: path, reason: "\(e)")
        }
    }

    static func describe(_ e: DecodingError, path: String) -> ConfigError {
        func keyPath(_ p: [any CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        }
        switch e {
        case .typeMismatch(let type, let ctx):
            return .invalid(key: "\(path): \(keyPath(ctx.codingPath))", reason: "expected \(type): \(ctx.debugDescription)")
        case .valueNotFound(let type, let ctx):
            return .invalid(key: "\(path): \(keyPath(ctx.codingPath))", reason: "missing \(type) value")
        case .keyNotFound(let key, let ctx):
            return .invalid(key: "\(path): \(keyPath(ctx.codingPath + [key]))", reason: "required key is missing")
        case .dataCorrupted(let ctx):
            if let y = ctx.underlyingError as? YamlError { return describe(y, path: path) }
            return .invalid(key: "\(path): \(keyPath(ctx.codingPath))", reason: ctx.debugDescription)
        @unknown default:
            return .unreadable(path: path, reason: "\(e)")
        }
    }
}

/// The `rules:` section: SLO specs and alert rule files, and how often to evaluate them.
public struct RulesSettings: Decodable, Sendable {
    public var files: [String] = ["rules/*.yaml"]
    public var interval = "30s"
    public init() {}
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        files = try c.decodeIfPresent([String].self, forKey: .files) ?? files
        interval = try c.decodeIfPresent(String.self, forKey: .interval) ?? interval
    }
    enum CodingKeys: String, CodingKey { case files, interval }
}
