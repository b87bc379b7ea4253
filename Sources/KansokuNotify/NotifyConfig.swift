public import KansokuCore

/// The `notify:` section of `kansoku.yaml`: receivers and the routing tree, in the shape of
/// Alertmanager's configuration so its users can carry theirs over.
public struct NotifyConfig: Decodable, Sendable, Hashable {
    public var receivers: [ReceiverConfig]
    /// The root route; when absent every alert goes to the first receiver.
    public var route: RouteConfig?
    /// The `externalURL` put in webhook bodies (Alertmanager's `--web.external-url`).
    public var externalURL: String
    public var delivery: DeliveryConfig

    public init(
        receivers: [ReceiverConfig], route: RouteConfig? = nil, externalURL: String = "",
        delivery: DeliveryConfig = DeliveryConfig()
    ) {
        self.receivers = receivers
        self.route = route
        self.externalURL = externalURL
        self.delivery = delivery
    }

    enum CodingKeys: String, CodingKey {
        case receivers, route
        case externalURL = "external_url"
        case delivery
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receivers = try c.decodeIfPresent([ReceiverConfig].self, forKey: .receivers) ?? []
        route = try c.decodeIfPresent(RouteConfig.self, forKey: .route)
        externalURL = try c.decodeIfPresent(String.self, forKey: .externalURL) ?? ""
        delivery = try c.decodeIfPresent(DeliveryConfig.self, forKey: .delivery) ?? DeliveryConfig()
    }
}

/// How the outbox retries: exponential backoff with full jitter between `initial_backoff`
/// and `max_backoff`, giving up on a notification after `max_age`.
public struct DeliveryConfig: Decodable, Sendable, Hashable {
    public var initialBackoff: PromDuration
    public var maxBackoff: PromDuration
    public var maxAge: PromDuration
    /// How long a notification log entry (what was last sent per group) is kept; Alertmanager's
    /// `--data.retention`.
    public var retention: PromDuration
    /// After a restart, a restored firing alert whose `endsAt` has passed stays firing this much
    /// longer, giving the rule engine time to refresh it before it counts as resolved.
    public var restoreGrace: PromDuration

    public init(
        initialBackoff: PromDuration = PromDuration(milliseconds: 500),
        maxBackoff: PromDuration = PromDuration(milliseconds: 60_000),
        maxAge: PromDuration = PromDuration(milliseconds: 24 * 3_600_000),
        retention: PromDuration = PromDuration(milliseconds: 120 * 3_600_000),
        restoreGrace: PromDuration = PromDuration(milliseconds: 5 * 60_000)
    ) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxAge = maxAge
        self.retention = retention
        self.restoreGrace = restoreGrace
    }

    enum CodingKeys: String, CodingKey {
        case initialBackoff = "initial_backoff", maxBackoff = "max_backoff", maxAge = "max_age"
        case retention, restoreGrace = "restore_grace"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DeliveryConfig()
        initialBackoff = try c.decodeDuration(.initialBackoff) ?? d.initialBackoff
        maxBackoff = try c.decodeDuration(.maxBackoff) ?? d.maxBackoff
        maxAge = try c.decodeDuration(.maxAge) ?? d.maxAge
        retention = try c.decodeDuration(.retention) ?? d.retention
        restoreGrace = try c.decodeDuration(.restoreGrace) ?? d.restoreGrace
    }
}

/// A named destination: a webhook or an Alertmanager.
public struct ReceiverConfig: Decodable, Sendable, Hashable {
    public var name: String
    public var webhook: WebhookConfig?
    public var alertmanager: AlertmanagerConfig?

    public init(name: String, webhook: WebhookConfig? = nil, alertmanager: AlertmanagerConfig? = nil) {
        self.name = name
        self.webhook = webhook
        self.alertmanager = alertmanager
    }
}

/// HTTP settings shared by both kinds of receiver.
public struct HTTPEndpointConfig: Sendable, Hashable {
    /// The URL, or nil when it comes from `url_file`.
    public var url: Secret?
    /// A file holding the URL (it may embed a token); read at every send.
    public var urlFile: String?
    /// Extra request headers.
    public var headers: [String: String]
    /// A file holding a bearer token for `Authorization: Bearer …`; read at every send.
    public var bearerTokenFile: String?
    /// Timeout of one delivery attempt; nil or zero means 10 s. (An unreachable receiver
    /// costs a whole attempt: the HTTP client keeps trying to connect until the deadline.)
    public var timeout: PromDuration?

    public init(
        url: String? = nil, urlFile: String? = nil, headers: [String: String] = [:],
        bearerTokenFile: String? = nil, timeout: PromDuration? = nil
    ) {
        self.url = url.map(Secret.init)
        self.urlFile = urlFile
        self.headers = headers
        self.bearerTokenFile = bearerTokenFile
        self.timeout = timeout
    }

    enum CodingKeys: String, CodingKey {
        case url, urlFile = "url_file", headers, httpHeaders = "http_headers"
        case bearerTokenFile = "bearer_token_file", timeout, httpConfig = "http_config"
    }

    /// Alertmanager's `http_config` subset: `bearer_token_file`, `authorization.credentials_file`.
    struct HTTPConfig: Decodable {
        struct Authorization: Decodable {
            var type: String?
            var credentialsFile: String?
            enum CodingKeys: String, CodingKey { case type, credentialsFile = "credentials_file" }
        }
        var bearerTokenFile: String?
        var authorization: Authorization?
        enum CodingKeys: String, CodingKey { case bearerTokenFile = "bearer_token_file", authorization }
    }

    init(from c: KeyedDecodingContainer<CodingKeys>) throws {
        url = try c.decodeIfPresent(String.self, forKey: .url).map(Secret.init)
        urlFile = try c.decodeIfPresent(String.self, forKey: .urlFile)
        headers = try c.decodeIfPresent([String: String].self, forKey: .headers)
            ?? c.decodeIfPresent([String: String].self, forKey: .httpHeaders) ?? [:]
        let http = try c.decodeIfPresent(HTTPConfig.self, forKey: .httpConfig)
        bearerTokenFile = try c.decodeIfPresent(String.self, forKey: .bearerTokenFile)
            ?? http?.bearerTokenFile ?? http?.authorization?.credentialsFile
        timeout = try c.decodeDuration(.timeout)
        if url == nil && urlFile == nil {
            throw DecodingError.dataCorruptedError(
                forKey: .url, in: c, debugDescription: "one of url or url_file is required")
        }
        if url != nil && urlFile != nil {
            throw DecodingError.dataCorruptedError(
                forKey: .urlFile, in: c, debugDescription: "url and url_file are mutually exclusive")
        }
    }
}

/// `webhook:` — Alertmanager's webhook_config.
public struct WebhookConfig: Decodable, Sendable, Hashable {
    public var endpoint: HTTPEndpointConfig
    /// At most this many alerts per body, the rest counted in `truncatedAlerts`; 0 = all.
    public var maxAlerts: Int
    /// Whether resolved alerts are notified (default true, as in Alertmanager).
    public var sendResolved: Bool

    public init(endpoint: HTTPEndpointConfig, maxAlerts: Int = 0, sendResolved: Bool = true) {
        self.endpoint = endpoint
        self.maxAlerts = maxAlerts
        self.sendResolved = sendResolved
    }

    enum ExtraKeys: String, CodingKey { case maxAlerts = "max_alerts", sendResolved = "send_resolved" }

    public init(from decoder: any Decoder) throws {
        endpoint = try HTTPEndpointConfig(from: decoder.container(keyedBy: HTTPEndpointConfig.CodingKeys.self))
        let c = try decoder.container(keyedBy: ExtraKeys.self)
        maxAlerts = try c.decodeIfPresent(Int.self, forKey: .maxAlerts) ?? 0
        sendResolved = try c.decodeIfPresent(Bool.self, forKey: .sendResolved) ?? true
        if maxAlerts < 0 {
            throw DecodingError.dataCorruptedError(forKey: .maxAlerts, in: c, debugDescription: "must be >= 0")
        }
    }
}

/// `alertmanager:` — a real Alertmanager; alerts are posted to its `/api/v2/alerts` and it
/// groups and notifies on its own.
public struct AlertmanagerConfig: Decodable, Sendable, Hashable {
    /// Base URL, e.g. `http://127.0.0.1:9093` (a path prefix is kept).
    public var endpoint: HTTPEndpointConfig
    /// How often firing alerts are posted again so Alertmanager keeps them active
    /// (Prometheus's `--rules.alert.resend-delay`); `endsAt` is set 4 of these ahead.
    public var resendInterval: PromDuration

    public init(endpoint: HTTPEndpointConfig, resendInterval: PromDuration = PromDuration(milliseconds: 60_000)) {
        self.endpoint = endpoint
        self.resendInterval = resendInterval
    }

    enum ExtraKeys: String, CodingKey { case resendInterval = "resend_interval" }

    public init(from decoder: any Decoder) throws {
        endpoint = try HTTPEndpointConfig(from: decoder.container(keyedBy: HTTPEndpointConfig.CodingKeys.self))
        let c = try decoder.container(keyedBy: ExtraKeys.self)
        resendInterval = try c.decodeDuration(.resendInterval) ?? PromDuration(milliseconds: 60_000)
        if resendInterval.milliseconds <= 0 {
            throw DecodingError.dataCorruptedError(forKey: .resendInterval, in: c, debugDescription: "must be > 0")
        }
    }
}

/// A node of the routing tree as written; unset fields inherit from the parent.
public struct RouteConfig: Decodable, Sendable, Hashable {
    public var receiver: String?
    /// Label names, or `["..."]` for every label.
    public var groupBy: [String]?
    public var groupWait: PromDuration?
    public var groupInterval: PromDuration?
    public var repeatInterval: PromDuration?
    /// Alertmanager matcher strings: `severity="page"`, `team=~"a|b"`, `env!=dev`.
    public var matchers: [String]
    /// Deprecated Alertmanager forms, still accepted: equality and regex maps.
    public var match: [String: String]
    public var matchRE: [String: String]
    /// Keep looking at later siblings after this route matched.
    public var `continue`: Bool
    public var routes: [RouteConfig]

    public init(
        receiver: String? = nil, groupBy: [String]? = nil, groupWait: PromDuration? = nil,
        groupInterval: PromDuration? = nil, repeatInterval: PromDuration? = nil, matchers: [String] = [],
        match: [String: String] = [:], matchRE: [String: String] = [:], continue: Bool = false,
        routes: [RouteConfig] = []
    ) {
        self.receiver = receiver
        self.groupBy = groupBy
        self.groupWait = groupWait
        self.groupInterval = groupInterval
        self.repeatInterval = repeatInterval
        self.matchers = matchers
        self.match = match
        self.matchRE = matchRE
        self.continue = `continue`
        self.routes = routes
    }

    enum CodingKeys: String, CodingKey {
        case receiver, groupBy = "group_by", groupWait = "group_wait", groupInterval = "group_interval"
        case repeatInterval = "repeat_interval", matchers, match, matchRE = "match_re", `continue`, routes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        receiver = try c.decodeIfPresent(String.self, forKey: .receiver)
        groupBy = try c.decodeIfPresent([String].self, forKey: .groupBy)
        groupWait = try c.decodeDuration(.groupWait)
        groupInterval = try c.decodeDuration(.groupInterval)
        repeatInterval = try c.decodeDuration(.repeatInterval)
        matchers = try c.decodeIfPresent([String].self, forKey: .matchers) ?? []
        match = try c.decodeIfPresent([String: String].self, forKey: .match) ?? [:]
        matchRE = try c.decodeIfPresent([String: String].self, forKey: .matchRE) ?? [:]
        `continue` = try c.decodeIfPresent(Bool.self, forKey: .continue) ?? false
        routes = try c.decodeIfPresent([RouteConfig].self, forKey: .routes) ?? []
    }
}

extension KeyedDecodingContainer {
    /// A Prometheus duration string (`30s`, `1h30m`); also a plain number of seconds.
    func decodeDuration(_ key: Key) throws -> PromDuration? {
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            guard let d = PromDuration(durationOrSeconds: text), d.milliseconds >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "invalid duration \"\(text)\", expected e.g. 30s, 5m, 1h30m")
            }
            return d
        }
        if let seconds = try decodeIfPresent(Double.self, forKey: key) {
            guard seconds >= 0, seconds.isFinite else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "invalid duration")
            }
            return PromDuration(seconds: seconds)
        }
        return nil
    }
}
