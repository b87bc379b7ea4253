public import KansokuCore

/// Error ratios of one SLI series per window at the last evaluation.
public struct SLOStatusValues: Sendable, Hashable {
    /// Labels of the SLO's series (SLO labels, `sloth_*` identity, grouping labels).
    public var labels: Labels
    public var ratios: [PromDuration: Double] = [:]

    public init(labels: Labels, ratios: [PromDuration: Double] = [:]) {
        self.labels = labels
        self.ratios = ratios
    }
}

/// What `kansoku slo status`, the TUI's SLO table and the server show for one SLO.
public struct SLOStatus: Sendable {
    public var spec: SLOSpec
    public var windows: AlertWindows
    public var values: SLOStatusValues
    public var alerts: [AlertInstance]
    public var lastEvaluation: Int64?
    public var lastError: String?

    public init(spec: SLOSpec, windows: AlertWindows, values: SLOStatusValues, alerts: [AlertInstance], lastEvaluation: Int64?, lastError: String?) {
        self.spec = spec
        self.windows = windows
        self.values = values
        self.alerts = alerts
        self.lastEvaluation = lastEvaluation
        self.lastError = lastError
    }

    /// The SLI now: success ratio over the last 5 minutes (0.9993 = 99.93%).
    public var sli: Double? { values.ratios[.minutes(5)].map { 1 - $0 } }
    /// Objective as a ratio (0.999).
    public var objective: Double { spec.objectiveRatio }
    /// Share of the period's error budget left (1 = untouched, negative = overspent).
    public var budgetRemaining: Double? { values.ratios[spec.period].map { 1 - $0 / spec.errorBudgetRatio } }
    /// Burn rate (error ratio / budget) per SLI window, shortest first.
    public var burnRates: [(window: PromDuration, rate: Double?)] {
        windows.sliWindows.map { w in (w, values.ratios[w].map { $0 / spec.errorBudgetRatio }) }
    }
    /// `firing`, `pending` or `inactive`, the worst over page and ticket.
    public var alertState: AlertState {
        if alerts.contains(where: { $0.state == .firing }) { return .firing }
        if alerts.contains(where: { $0.state == .pending }) { return .pending }
        return .inactive
    }
    /// Severities currently firing (`page`, `ticket`).
    public var firingSeverities: [String] {
        alerts.filter { $0.state == .firing }.compactMap { $0.labels["sloth_severity"] }.sorted()
    }
    /// Burn-rate thresholds of the alerts, for colouring: page quick factor and ticket slow factor.
    public var pageBurnRate: Double { windows.pageQuick.burnFactor(period: spec.period) }
    public var ticketBurnRate: Double { windows.ticketSlow.burnFactor(period: spec.period) }
}
