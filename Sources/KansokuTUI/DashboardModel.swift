import Foundation
public import KansokuCore
public import KansokuExplain

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
/// window, errors first: what changed in them against a baseline, and their patterns.
public struct DrillDown: Sendable, Equatable {
    /// The part of the screen the arrows and Enter act on.
    public enum Section: Sendable, Equatable { case changes, patterns }

    public var title: String
    public var query: String
    public var start: Int64
    public var end: Int64
    public var lines: [LogLine] = []
    public var patterns: [LogPatterns.Pattern] = []
    public var selected = 0
    /// The pattern whose lines are shown, when one was opened with Enter.
    public var openPattern: Int?
    /// The first line shown of the open pattern, which `f` follows.
    public var scroll = 0
    public var loading = true
    public var error: String?
    /// What changed in the error lines: values over-represented against the baseline.
    public var report: ExplainReport?
    public var reportError: String?
    /// Values the lines are narrowed to (Enter on a change adds one, Backspace removes the last).
    public var filters: [ExplainFilter] = []
    public var baseline: BaselineChoice = .previous
    /// The range compared with when `baseline` is `.range`.
    public var baselineRange: BaselineRange?
    /// The range being typed after `b` reached "choose"; nil when not choosing.
    public var choosingBaseline: String?
    public var section: Section = .changes
    public var changeSelected = 0

    public init(title: String, query: String, start: Int64, end: Int64) {
        self.title = title
        self.query = query
        self.start = start
        self.end = end
    }

    /// The query with its filters, as LogQL reads them.
    public var filteredQuery: String { query + filters.map { " " + $0.logQL }.joined() }

    /// Whether `other` answers the same question (a load for an older one is dropped).
    public func asksSame(as other: DrillDown) -> Bool {
        query == other.query && filters == other.filters && baseline == other.baseline && baselineRange == other.baselineRange
            && start == other.start
    }
}

/// One request followed across every stream: the lines carrying its ids, in time order.
public struct FollowView: Sendable, Equatable {
    public var ids: [String]
    /// The time of the line it was started from (ns).
    public var time: Int64
    public var timeline: RequestTimeline?
    public var selected = 0
    public var loading = true
    public var error: String?
    public init(ids: [String], time: Int64) {
        self.ids = ids
        self.time = time
    }
}

/// The `labels` panel: label names, and the values of the one opened with Enter.
public struct LabelBrowser: Sendable, Equatable {
    public var names: [String] = []
    /// The label whose values are listed; `nil` lists names.
    public var openName: String?
    public var values: [String] = []
    /// The selected name, remembered while its values are shown.
    public var nameSelection = 0
    public init(names: [String] = [], openName: String? = nil, values: [String] = []) {
        self.names = names
        self.openName = openName
        self.values = values
    }
    /// What the panel lists now.
    public var rows: [String] { openName == nil ? names : values }
}

/// A LogQL query's lines on a screen of their own.
public struct LogView: Sendable, Equatable {
    public var query: String
    public var start: Int64
    public var end: Int64
    public var lines: [LogLine] = []
    public var selected = 0
    public var loading = true
    public var error: String?
    public init(query: String, start: Int64, end: Int64) {
        self.query = query
        self.start = start
        self.end = end
    }
}

/// Everything the dashboard shows; `update` changes it, `DashboardView` draws it.
public struct DashboardModel: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case dashboard
        case help
        case drill(DrillDown)
        case editing(panel: Int, text: String)
        /// `g`: typing the time the view should end at (RFC3339, unix, `now-2h`, `2h`).
        case jumping(text: String)
        /// A query's lines on their own screen (opened from the labels panel).
        case logView(LogView)
        /// `f` on a line: its request across every stream; Esc returns to `back`.
        indirect case follow(FollowView, back: Mode)
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
    /// Current value of each dashboard variable (`$service`).
    public var variables: [String: String] = [:]
    /// Values each variable can take, from the label values of its `label`.
    public var variableOptions: [String: [String]] = [:]
    /// The labels panels' browsing state.
    public var labelBrowsers: [Int: LabelBrowser] = [:]
    /// The resolved query each logs panel's lines were read with (a changed query reloads even when paused).
    public var loadedQueries: [Int: String] = [:]
    /// The end of the time range when jumped to a time; `nil` follows now.
    public var endTime: Int64?

    public init(spec: DashboardSpec, address: String) {
        self.spec = spec
        self.address = address
        rangeNanos = spec.rangeDuration.nanoseconds
        for (i, p) in spec.panels.enumerated() { if let q = p.query { queries[i] = q } }
        for v in spec.variables ?? [] { if let value = v.value { variables[v.name] = value } }
    }

    /// The end of the shown range: the jumped-to time, or now.
    public var rangeEnd: Int64 { endTime ?? now }

    /// `text` with `$name` and `${name}` replaced by the variables' current values (longest names first,
    /// so `$service_name` is not read as `$service`). Unset variables match anything in a regex
    /// matcher, so they become `.*`.
    public func resolved(_ text: String) -> String {
        guard let vars = spec.variables, !vars.isEmpty, text.contains("$") else { return text }
        var out = text
        for v in vars.sorted(by: { $0.name.count > $1.name.count }) {
            let value = variables[v.name] ?? ".*"
            out = out.replacingOccurrences(of: "${\(v.name)}", with: value)
            out = out.replacingOccurrences(of: "$\(v.name)", with: value)
        }
        return out
    }

    /// The query panel `i` runs, with variables substituted.
    public func resolvedQuery(_ i: Int) -> String { resolved(queries[i] ?? "") }

    public func selected(_ panel: Int) -> Int { selection[panel] ?? 0 }
}
