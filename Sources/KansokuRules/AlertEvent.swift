public import KansokuCore

/// Whether an alert is burning or has stopped, in Alertmanager's words.
public enum AlertNotificationStatus: String, Sendable, Hashable, Codable {
    case firing
    case resolved
}

/// One alert as the rule engine hands it to notification delivery: the shape Prometheus
/// posts to Alertmanager's `/api/v2/alerts` (labels, annotations, startsAt, endsAt,
/// generatorURL), plus the status that Alertmanager would derive from `endsAt`.
///
/// Firing alerts are re-sent every resend delay with `endsAt = now + 4 × max(interval,
/// resend delay)`, so a receiver that stops hearing about an alert resolves it on its own;
/// a resolved alert carries `endsAt = resolvedAt` and is re-sent for 15 minutes.
public struct AlertNotification: Sendable, Hashable, Codable {
    /// Identity of the alert: `alertname`, the rule's labels and the labels of the series.
    public var labels: Labels
    /// Rendered annotations (`summary`, `description`, `runbook_url`, ...).
    public var annotations: [String: String]
    /// Unix milliseconds when the alert started firing (Prometheus's `FiredAt`).
    public var startsAt: Int64
    /// Unix milliseconds when the alert ends: the resolve time once resolved, otherwise the
    /// time after which a receiver may consider it resolved if not re-sent.
    public var endsAt: Int64
    /// Link back to the expression that produced the alert.
    public var generatorURL: String
    public var status: AlertNotificationStatus

    public init(
        labels: Labels, annotations: [String: String], startsAt: Int64, endsAt: Int64,
        generatorURL: String, status: AlertNotificationStatus
    ) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
        self.status = status
    }

    /// `alertname` of the alert, or the empty string.
    public var alertName: String { labels["alertname"] ?? "" }

    enum CodingKeys: String, CodingKey {
        case labels, annotations, startsAt, endsAt, generatorURL, status
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labels = Labels(try c.decode([String: String].self, forKey: .labels))
        annotations = try c.decode([String: String].self, forKey: .annotations)
        startsAt = try c.decode(Int64.self, forKey: .startsAt)
        endsAt = try c.decode(Int64.self, forKey: .endsAt)
        generatorURL = try c.decode(String.self, forKey: .generatorURL)
        status = try c.decode(AlertNotificationStatus.self, forKey: .status)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var dict: [String: String] = [:]
        for l in labels { dict[l.name] = l.value }
        try c.encode(dict, forKey: .labels)
        try c.encode(annotations, forKey: .annotations)
        try c.encode(startsAt, forKey: .startsAt)
        try c.encode(endsAt, forKey: .endsAt)
        try c.encode(generatorURL, forKey: .generatorURL)
        try c.encode(status, forKey: .status)
    }
}

/// Where the rule engine sends alerts after each evaluation of an alerting rule: every
/// firing alert (at most once per resend delay) and every alert resolved within the last
/// 15 minutes. Notification delivery implements it; it must not block for long (queue and
/// return), because rule evaluation waits for it.
public protocol AlertNotificationSink: Sendable {
    func send(_ alerts: [AlertNotification]) async
}
