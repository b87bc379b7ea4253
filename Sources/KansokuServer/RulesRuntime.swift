import Foundation
import KansokuCore
import KansokuLogQL
import KansokuLogStore
import KansokuMetricStore
import KansokuNotify
import KansokuPromQL
import KansokuRules
import Logging

/// Rule groups and SLOs from `rules.files`, evaluated over both engines, with results written
/// back to the metric store and alert changes handed to the notifier.
final class RulesRuntime: Sendable {
    let manager: RuleManager
    let logger: Logger

    init(manager: RuleManager, logger: Logger) {
        self.manager = manager
        self.logger = logger
    }

    static func make(config: KansokuConfig, logQL: LogQLEngine, metricStore: MetricStore, notifier: Notifier?,
                     logger: Logger) throws -> RulesRuntime? {
        let files = RuleFiles.expand(config.rules.files)
        guard !files.isEmpty else { return nil }
        guard let interval = PromDuration(config.rules.interval), interval.milliseconds > 0 else {
            throw ConfigError.invalid(key: "rules.interval", reason: "expected a duration such as 30s, got \"\(config.rules.interval)\"")
        }
        let ruleSet: RuleSet
        do { ruleSet = try RuleFiles.load(config.rules.files) } catch {
            throw ConfigError.invalid(key: "rules.files", reason: "\n\(error)")
        }
        // Rules are bounded like users' queries (timeout, samples, lookback) but wait at a gate
        // of their own, so a crowd of users' queries cannot hold up alerting.
        let promql = config.query.engine(queryable: metricStore), logql = logQL
        let engine = KansokuRuleQueryEngine(promql: promql, logql: logql)
        let writer = MetricStoreRuleWriter(store: metricStore)
        // With tenancy on each group runs as its `tenant:` (see `MetricTenancy`).
        let tenants = config.server.tenancy ? KansokuRuleTenants(promql: promql, logql: logql, writer: writer, defaultTenant: defaultTenant) : nil
        for g in ruleSet.groups {
            if let t = g.tenant, let problem = TenantID.problem(t) {
                throw ConfigError.invalid(key: "rules.files", reason: "group \(g.name) in \(g.file): tenant: \(problem)")
            }
        }
        var settings = AlertingSettings()
        settings.externalURL = "http://\(config.server.listen)"
        let manager: RuleManager
        do {
            manager = try RuleManager(ruleSet: ruleSet, engine: engine, writer: writer,
                                      interval: interval.milliseconds, settings: settings,
                                      sink: notifier.map { NotifierSink(notifier: $0) }, tenants: tenants)
        } catch {
            throw ConfigError.invalid(key: "rules.files", reason: "\n\(error)")
        }
        logger.info("rules loaded", metadata: ["files": "\(files.count)", "groups": "\(ruleSet.groups.count)", "slos": "\(ruleSet.slos.count)"])
        return RulesRuntime(manager: manager, logger: logger)
    }

    func run() async throws { await manager.run() }

    func renderMetrics() async -> String {
        var out = "# HELP kansoku_rule_group_last_duration_seconds Duration of the last evaluation of each rule group.\n"
        out += "# TYPE kansoku_rule_group_last_duration_seconds gauge\n"
        let groups = await manager.groupSnapshots()
        for s in groups {
            out += "kansoku_rule_group_last_duration_seconds{rule_group=\(goQuoted(s.spec.name))} \(GoFloat.fixed(s.evaluationSeconds))\n"
        }
        out += "# HELP kansoku_rule_group_last_evaluation_timestamp_seconds Scheduled time of the last evaluation of each rule group.\n"
        out += "# TYPE kansoku_rule_group_last_evaluation_timestamp_seconds gauge\n"
        for s in groups {
            let t = s.lastEvaluation.map { Double($0) / 1000 } ?? 0
            out += "kansoku_rule_group_last_evaluation_timestamp_seconds{rule_group=\(goQuoted(s.spec.name))} \(GoFloat.fixed(t))\n"
        }
        out += "# HELP kansoku_rule_group_last_evaluation_lag_seconds From the scheduled time of each rule group's last evaluation to its end.\n"
        out += "# TYPE kansoku_rule_group_last_evaluation_lag_seconds gauge\n"
        for s in groups {
            out += "kansoku_rule_group_last_evaluation_lag_seconds{rule_group=\(goQuoted(s.spec.name))} \(GoFloat.fixed(s.lagSeconds))\n"
        }
        return out
    }
}

/// Hands the rule engine's alert notifications to the notifier.
struct NotifierSink: AlertNotificationSink {
    let notifier: Notifier

    func send(_ alerts: [AlertNotification]) async {
        await notifier.send(alerts.map { a in
            NotifyAlert(labels: a.labels, annotations: a.annotations, startsAt: a.startsAt * 1_000_000,
                        endsAt: a.endsAt * 1_000_000, generatorURL: a.generatorURL,
                        status: a.status == .resolved ? .resolved : .firing)
        })
    }
}

/// `/api/v1/rules` and `/api/v1/alerts` from the rule manager, in Prometheus's JSON.
struct RulesAPIProvider: Sendable {
    let runtime: RulesRuntime?

    static let empty = RulesAPIProvider(runtime: nil)

    init(runtime: RulesRuntime?) { self.runtime = runtime }

    /// `tenant` (with tenancy on) sees only its own groups and their alerts.
    func rulesJSON(type: String?, tenant: String?) async -> JSONWriter {
        guard let runtime else { return successEnvelope { w in w.beginObject(); w.key("groups"); w.beginArray(); w.endArray(); w.endObject() } }
        let data = await runtime.manager.rulesData(type: type, tenant: tenant)
        return Self.envelope(data)
    }

    func alertsJSON(tenant: String?) async -> JSONWriter {
        guard let runtime else { return successEnvelope { w in w.beginObject(); w.key("alerts"); w.beginArray(); w.endArray(); w.endObject() } }
        return Self.envelope(await runtime.manager.alertsData(tenant: tenant))
    }

    static func envelope(_ data: some Encodable) -> JSONWriter {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(data)) ?? Data("{}".utf8)
        return successEnvelope { w in w.raw(String(decoding: body, as: UTF8.self)) }
    }
}
