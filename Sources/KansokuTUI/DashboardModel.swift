public import KansokuCore

/// One SLO as the table shows it, from the Sloth-named series.
public struct SLORow: Sendable, Equatable {
    public var service: String
    public var slo: String
    public var objective: Double
    public var errorRatio5m: Double?
    public var budgetRemaining: Double?
    /// Burn rate per window (`5m` … `3d`).
    public var burnRates: [String: Double]
    /// Severities of firing alerts (`page`, `ticket`).
    public var firing: [String]
    public init(service: String, slo: String, objective: Double, errorRatio5m: Double? = nil, budgetRemaining: Double? = nil,
                burnRates: [String: Double] = [:], firing: [String] = []) {
        self.service = service
        self.slo = slo
        self.objective = objective
        self.errorRatio5m = errorRatio5m
        self.budgetRemaining = budgetRemaining
        self.burnRates = burnRates
        self.firing = firing
    }
}

/// A firing or pending alert.
public struct AlertRow: Sendable, Equatable {
    public var labels: Labels
    public var state: String
    public var name: String { labels["alertname"] ?? "" }
    public var service: String { labels["service"] ?? labels["sloth_service"] ?? "" }
    public var severity: String { labels["severity"] ?? labels["sloth_severity"] ?? "" }
    public init(labels: Labels, state: String) {
        self.labels = labels
        self.state = state
    }
}

/// The drill-down of a burning SLO or firing alert: the service's logs over the burning
/// window, errors first, grouped into patterns.
public struct DrillDown: Sendable, Equatable {
    public var title: String
    public var query: String
    public var start: Int64
    public var end: Int64
    public var lines: [LogLine] = []
    public var patterns: [LogPatterns.Pattern] = []
    public var selected = 0
    /// The pattern whose lines are shown, when one was opened with Enter.
    public var openPattern: Int?
    public var scroll = 0
    public var loading = true
    public var error: String?
}

/// Everything the dashboard shows; `update` changes it, `DashboardView` draws it.
public struct DashboardModel: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case dashboard
        case help
        case drill(DrillDown)
        case editing(panel: Int, text: String)
    }

    public var spec: DashboardSpec
    public var address: String
    public var slos: [SLORow] = []
    public var alerts: [AlertRow] = []
    public var series: [Int: [SeriesData]] = [:]
    public var logs: [Int: [LogLine]] = [:]
    public var errors: [Int: String] = [:]
    public var queries: [Int: String] = [:]
    public var focus = 0
    public var selection: [Int: Int] = [:]
    public var mode: Mode = .dashboard
    public var tail = true
    public var wrap = false
    public var rangeNanos: Int64
    public var now: Int64 = 0
    public var lastUpdate: Int64?
    public var status: String?

    public init(spec: DashboardSpec, address: String) {
        self.spec = spec
        self.address = address
        rangeNanos = spec.rangeDuration.nanoseconds
        for (i, p) in spec.panels.enumerated() { if let q = p.query { queries[i] = q } }
    }

    public func selected(_ panel: Int) -> Int { selection[panel] ?? 0 }
}
