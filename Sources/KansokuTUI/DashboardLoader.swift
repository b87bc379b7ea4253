import KansokuCore
import KansokuExplain

/// Fetches what the panels show and turns it into model fields.
public struct DashboardLoader: Sendable {
    let source: any DashboardDataSource
    public init(source: any DashboardDataSource) { self.source = source }

    static let windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]

    /// Reads every panel's data into a copy of `model` (errors are kept per panel).
    public func load(_ model: DashboardModel, now: Int64) async -> DashboardModel {
        var m = model
        m.now = now
        await loadVariables(&m)
        let end = m.rangeEnd
        for (i, p) in m.spec.panels.enumerated() {
            do {
                switch p.type {
                case .sloTable: m.slos = try await slos()
                case .alerts: m.alerts = try await alerts()
                case .timeseries:
                    let step = max(1_000_000_000, m.rangeNanos / 120)
                    m.series[i] = try await source.range(m.resolvedQuery(i), logql: p.language == "logql", start: end - m.rangeNanos, end: end, step: step)
                case .stat:
                    m.series[i] = try await source.instant(m.resolvedQuery(i))
                case .logs:
                    // Paused panels keep their lines unless the query or time changed; a failed
                    // query keeps the lines of the last good one under its error.
                    let q = m.resolvedQuery(i).isEmpty ? "{}" : m.resolvedQuery(i)
                    let key = "\(q)@\(m.endTime.map { String($0) } ?? "now")/\(m.rangeNanos)"
                    if m.tail || m.logs[i] == nil || m.loadedQueries[i] != key {
                        m.logs[i] = try await source.logs(q, start: end - m.rangeNanos, end: end + 1, limit: 500)
                        m.loadedQueries[i] = key
                    }
                case .labels:
                    var lb = m.labelBrowsers[i] ?? LabelBrowser()
                    lb.names = try await source.labelNames()
                    if let name = lb.openName { lb.values = try await source.labelValues(name) }
                    m.labelBrowsers[i] = lb
                }
                m.errors[i] = nil
            } catch {
                m.errors[i] = "\(error)"
            }
        }
        m.lastUpdate = now
        return m
    }

    /// Reads each variable's choices; a variable without a value takes the first.
    func loadVariables(_ m: inout DashboardModel) async {
        for v in m.spec.variables ?? [] {
            guard let options = try? await source.labelValues(v.label) else { continue }
            m.variableOptions[v.name] = options
            if m.variables[v.name] == nil, let first = options.first { m.variables[v.name] = first }
        }
    }

    /// Reads the lines of a log view.
    public func loadLogView(_ v: LogView) async -> LogView {
        var v = v
        do {
            v.lines = try await source.logs(v.query, start: v.start, end: v.end, limit: 1000)
            v.error = nil
        } catch {
            v.error = "\(error)"
        }
        v.loading = false
        return v
    }

    func slos() async throws -> [SLORow] {
        func key(_ l: Labels) -> String { l["sloth_id"] ?? "\(l["sloth_service"] ?? "")/\(l["sloth_slo"] ?? "")" }
        var rows: [String: SLORow] = [:]
        for s in try await source.instant("slo:objective:ratio") {
            rows[key(s.labels)] = SLORow(service: s.labels["sloth_service"] ?? "", slo: s.labels["sloth_slo"] ?? "",
                                         objective: s.points.first?.v ?? .nan)
        }
        for s in try await source.instant("slo:period_error_budget_remaining:ratio") { rows[key(s.labels)]?.budgetRemaining = s.points.first?.v }
        for w in Self.windows {
            for s in try await source.instant("slo:sli_error:ratio_rate\(w)") {
                let k = key(s.labels)
                guard let row = rows[k], let v = s.points.first?.v else { continue }
                if w == "5m" { rows[k]?.errorRatio5m = v }
                if row.objective < 1 { rows[k]?.burnRates[w] = v / (1 - row.objective) }
            }
        }
        for s in try await source.instant("ALERTS{alertstate=\"firing\"}") {
            if let sev = s.labels["sloth_severity"] { rows[key(s.labels)]?.firing.append(sev) }
        }
        return rows.values.sorted { ($0.service, $0.slo) < ($1.service, $1.slo) }
    }

    func alerts() async throws -> [AlertRow] {
        try await source.instant("ALERTS").map { AlertRow(labels: $0.labels.removing(["__name__", "alertstate"]).setting("__state", to: ""), state: $0.labels["alertstate"] ?? "") }
            .sorted { ($0.state, $0.name) > ($1.state, $1.name) }
    }

    /// The drill-down's error lines: what the SLOs count as failures and what apps log as errors.
    static let errorFilter = #" |~ "(?i)error|fail|timed? ?out|exception|refused| 5[0-9][0-9] ""#

    /// Loads a drill-down: what changed in the error lines against the baseline (the server's
    /// explain), and the lines themselves, narrowed to the filters, clustered, new patterns marked
    /// against the window before.
    public func loadDrill(_ d: DrillDown) async -> DrillDown {
        var d = d
        do {
            let errorQuery = d.query + Self.errorFilter
            do {
                d.report = try await source.explain(errorQuery, start: d.start, end: d.end, baseline: d.baseline,
                                                    baselineRange: d.baseline == .range ? d.baselineRange : nil, filters: d.filters)
                d.reportError = nil
            } catch {
                d.report = nil
                d.reportError = "\(error)"
            }
            var lines = try await source.logs(errorQuery, start: d.start, end: d.end, limit: 2000)
            if lines.isEmpty { lines = try await source.logs(d.query, start: d.start, end: d.end, limit: 2000) }
            // New patterns are new against the same lines the ranking compares with.
            let span = d.end - d.start, day: Int64 = 86_400_000_000_000
            let (bs, be) = d.baseline == .range ? (d.baselineRange?.start ?? d.start - span, d.baselineRange?.end ?? d.start)
                : d.baseline == .yesterday ? (d.start - day, d.end - day) : (d.start - span, d.start)
            var baseline = try await source.logs(errorQuery, start: bs, end: be, limit: 2000)
            if !d.filters.isEmpty {
                let fields = LineFields()
                let keep = { (l: LogLine) in d.filters.allSatisfy { $0.matches(line: l.line, labels: l.labels, fields: fields) } }
                lines = lines.filter(keep)
                baseline = baseline.filter(keep)
            }
            d.lines = lines
            d.patterns = LogPatterns.cluster(lines, baseline: baseline)
            d.openPattern = d.openPattern.flatMap { d.patterns.indices.contains($0) ? $0 : nil }
            d.loading = false
            d.error = nil
        } catch {
            d.loading = false
            d.error = "\(error)"
        }
        return d
    }

    /// Loads the timeline of a followed request.
    public func loadFollow(_ v: FollowView) async -> FollowView {
        var v = v
        do {
            v.timeline = try await source.followRequest(ids: v.ids, time: v.time)
            v.error = nil
        } catch {
            v.error = "\(error)"
        }
        v.loading = false
        return v
    }
}
