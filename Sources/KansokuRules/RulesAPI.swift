import KansokuCore

/// `/api/v1/rules` and `/api/v1/alerts` bodies (the `data` of Prometheus's envelope), with
/// Prometheus's field names, so Grafana and existing tools read them unchanged.
public enum RulesAPI {
    public struct Alert: Codable, Sendable, Hashable {
        public var labels: [String: String]
        public var annotations: [String: String]
        public var state: String
        /// RFC 3339 time the alert became active.
        public var activeAt: String?
        /// The value, as Prometheus prints it (`strconv.FormatFloat(v, 'e', -1, 64)`).
        public var value: String
        public var keepFiringSince: String?
    }

    public struct Rule: Codable, Sendable, Hashable {
        public var name: String
        public var query: String
        /// `alerting` or `recording`.
        public var type: String
        public var labels: [String: String]
        public var health: String
        public var lastError: String?
        public var evaluationTime: Double
        public var lastEvaluation: String
        // Alerting rules only.
        public var state: String?
        public var duration: Double?
        public var keepFiringFor: Double?
        public var annotations: [String: String]?
        public var alerts: [Alert]?
    }

    public struct Group: Codable, Sendable, Hashable {
        public var name: String
        public var file: String
        public var rules: [Rule]
        public var interval: Double
        public var limit: Int
        public var evaluationTime: Double
        public var lastEvaluation: String
    }

    public struct RulesData: Codable, Sendable, Hashable {
        public var groups: [Group]
    }

    public struct AlertsData: Codable, Sendable, Hashable {
        public var alerts: [Alert]
    }

    static let zeroTime = "0001-01-01T00:00:00Z"

    static func time(_ ms: Int64?) -> String {
        guard let ms else { return zeroTime }
        return TimeFormatter.rfc3339Nano(ms * 1_000_000)
    }

    static func alert(_ a: AlertInstance) -> Alert {
        Alert(labels: dict(a.labels), annotations: a.annotations, state: a.state.rawValue,
              activeAt: time(a.activeAt), value: GoFloat.exponent(a.value),
              keepFiringSince: a.keepFiringSince.map { time($0) })
    }

    static func dict(_ l: Labels) -> [String: String] {
        var d: [String: String] = [:]
        for x in l { d[x.name] = x.value }
        return d
    }

    /// A group as `/api/v1/rules` shows it. `type` filters to `alert` or `record` rules.
    public static func group(_ g: RuleGroupSnapshot, type: String? = nil) -> Group {
        var rules: [Rule] = []
        for r in g.rules {
            if type == "alert" && !r.rule.isAlerting { continue }
            if type == "record" && r.rule.isAlerting { continue }
            var rule = Rule(name: r.rule.name, query: r.rule.expr, type: r.rule.isAlerting ? "alerting" : "recording",
                            labels: g.spec.labels.merging(r.rule.labels) { $1 }, health: r.status.health.rawValue,
                            lastError: r.status.lastError, evaluationTime: r.status.evaluationSeconds,
                            lastEvaluation: time(r.status.lastEvaluation))
            if r.rule.isAlerting {
                let alerts = r.alerts.filter { $0.state != .inactive }.sorted { $0.labels.description < $1.labels.description }
                rule.state = alerts.contains { $0.state == .firing } ? "firing" : (alerts.isEmpty ? "inactive" : "pending")
                rule.duration = r.rule.forDuration.seconds
                rule.keepFiringFor = r.rule.keepFiringFor.seconds
                rule.annotations = r.rule.annotations
                rule.alerts = alerts.map(alert)
            }
            rules.append(rule)
        }
        return Group(name: g.spec.name, file: g.spec.file, rules: rules, interval: Double(g.interval) / 1000, limit: g.spec.limit,
                     evaluationTime: g.evaluationSeconds, lastEvaluation: time(g.lastEvaluation))
    }
}
