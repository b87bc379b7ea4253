public import KansokuCore

/// A recording or alerting rule as written in a Prometheus rule file.
public struct RuleSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `record: <metric name>`
        case recording(String)
        /// `alert: <alert name>`
        case alerting(String)
    }

    public var kind: Kind
    public var expr: String
    public var language: QueryLanguage
    /// Time an alert stays pending before it fires.
    public var forDuration: PromDuration
    /// Time an alert keeps firing after its condition cleared.
    public var keepFiringFor: PromDuration
    public var labels: [String: String]
    public var annotations: [String: String]
    public var position: SourcePosition

    public init(
        kind: Kind, expr: String, language: QueryLanguage = .promql, forDuration: PromDuration = PromDuration(milliseconds: 0),
        keepFiringFor: PromDuration = PromDuration(milliseconds: 0), labels: [String: String] = [:],
        annotations: [String: String] = [:], position: SourcePosition = SourcePosition(line: 1, column: 1)
    ) {
        self.kind = kind
        self.expr = expr
        self.language = language
        self.forDuration = forDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels
        self.annotations = annotations
        self.position = position
    }

    /// The record or alert name.
    public var name: String {
        switch kind {
        case .recording(let n), .alerting(let n): n
        }
    }

    public var isAlerting: Bool {
        if case .alerting = kind { return true }
        return false
    }
}

/// A rule group: rules evaluated in order at one timestamp every `interval`.
public struct RuleGroupSpec: Sendable, Hashable {
    public var name: String
    /// Evaluation interval; nil means the global interval.
    public var interval: PromDuration?
    /// Evaluate at `now - queryOffset`.
    public var queryOffset: PromDuration?
    /// Maximum series a rule may produce (0 = unlimited); beyond it the rule fails.
    public var limit: Int
    /// Labels added to every rule of the group (rule labels win).
    public var labels: [String: String]
    /// Language chosen for the whole group with `kansoku_language`, if any.
    public var language: QueryLanguage?
    /// With tenancy on, the tenant the group's queries run as and its results are written
    /// for (`tenant:`, a Kansoku key); nil is the default tenant.
    public var tenant: String?
    public var rules: [RuleSpec]
    /// The file the group came from.
    public var file: String
    public var position: SourcePosition

    public init(
        name: String, interval: PromDuration? = nil, queryOffset: PromDuration? = nil, limit: Int = 0,
        labels: [String: String] = [:], language: QueryLanguage? = nil, rules: [RuleSpec],
        file: String = "", position: SourcePosition = SourcePosition(line: 1, column: 1)
    ) {
        self.name = name
        self.interval = interval
        self.queryOffset = queryOffset
        self.limit = limit
        self.labels = labels
        self.language = language
        self.rules = rules
        self.file = file
        self.position = position
    }
}
