import KansokuCore
import KansokuTemplate

/// Continuous SLO evaluation, incremental: each cycle queries only the 5-minute SLI (one or
/// two instant queries per SLO, touching a few raw samples), adds it to per-SLO bucket rings,
/// and reads every longer window (30m … 3d and the period) from the rings. It writes the
/// series Sloth's rules would record (`slo:sli_error:ratio_rate<w>`, `slo:objective:ratio`,
/// `slo:error_budget:ratio`, burn rates, budget remaining, `sloth_slo_info`) and drives the
/// page and ticket multi-window multi-burn-rate alerts through the same state machine as
/// alerting rules (so `ALERTS` and notifications behave identically).
///
/// Windows are traffic-weighted (sum of errors / sum of events), not Sloth's mean of 5m
/// ratios, so a quiet night does not dilute a busy day's errors.
public actor SLOEvaluator {
    struct Tracked {
        var spec: SLOSpec
        var windows: AlertWindows
        var sums: [Labels: SLOWindowSums] = [:]
        var page: AlertStateMachine?
        var ticket: AlertStateMachine?
        var previousSeries: Set<Labels> = []
        var lastError: String?
        var lastEvaluation: Int64?
        var status: [Labels: SLOStatusValues] = [:]
    }

    let engine: any RuleQueryEngine
    let writer: any RuleSampleWriter
    let settings: AlertingSettings
    public nonisolated let interval: Int64
    var tracked: [Tracked] = []
    public private(set) var lastEvaluation: Int64?
    public private(set) var lastCycleSeconds: Double = 0
    var warmed = true

    public init(slos: [SLOSpec], windows: AlertWindowsCatalog, engine: any RuleQueryEngine, writer: any RuleSampleWriter,
                interval: Int64 = 30_000, settings: AlertingSettings = AlertingSettings()) throws(SpecError) {
        self.engine = engine
        self.writer = writer
        self.settings = settings
        self.interval = interval
        var issues: [SpecIssue] = []
        for slo in slos {
            guard let w = windows.windows(for: slo.period) else {
                issues.append(SpecIssue(file: slo.file, position: slo.position, message: "SLO \(goQuoted(slo.name)): no alert windows for period \(slo.period.prometheusString)"))
                continue
            }
            var t = Tracked(spec: slo, windows: w)
            do throws(TemplateError) {
                let rules = SlothRuleGenerator.alertRules(slo, windows: w)
                for r in rules {
                    let m = try AlertStateMachine(name: r.name, expr: r.expr, forDuration: 0, keepFiringFor: 0, labels: r.labels, annotations: r.annotations)
                    if r.labels["sloth_severity"] == "page" { t.page = m } else { t.ticket = m }
                }
            } catch {
                issues.append(SpecIssue(file: slo.file, position: slo.position, message: "SLO \(goQuoted(slo.name)): alert template: \(error)"))
            }
            t.page?.restored = true
            t.ticket?.restored = true
            tracked.append(t)
        }
        if !issues.isEmpty { throw SpecError(issues) }
    }

    /// Fills the window rings from stored raw data, so windows are right from the first cycle
    /// after a (re)start: the 5m SLI by range query at 5-minute steps over the period and at
    /// every tick over the last 6 hours.
    ///
    /// It may run beside `evaluate`: until it is done, series are recorded but no alert
    /// fires, since half-filled long windows would act like short ones.
    public func warmStart(at t: Int64) async {
        warmed = false
        defer { warmed = true }
        let block = SLOWindowSums.block
        for i in tracked.indices {
            let slo = tracked[i].spec
            let longest = slo.period.milliseconds
            let lastBlock = t / block * block
            let plans: [(start: Int64, end: Int64, step: Int64, blocks: Bool)] = [
                (lastBlock - longest + block, lastBlock, block, true),
                ((t - min(longest, SLOWindowSums.fineLimit)) / interval * interval + interval, t - interval, interval, false),
            ]
            for plan in plans where plan.start <= plan.end {
                do throws(RuleEvaluationError) {
                    let (errors, totals) = try await rangeSLI(slo, start: plan.start, end: plan.end, step: plan.step)
                    for (key, series) in totals {
                        var sums = tracked[i].sums[key] ?? SLOWindowSums(longestWindow: longest, interval: interval)
                        let err = errors[key].map { Dictionary(zip($0.timestamps, $0.values), uniquingKeysWith: { $1 }) } ?? [:]
                        for (ts, v) in zip(series.timestamps, series.values) where v.isFinite {
                            let e = err[ts].flatMap { $0.isFinite ? $0 : nil } ?? 0
                            if plan.blocks { sums.backfillBlock(endingAt: ts, errors: e, totals: v) } else { sums.backfillTick(at: ts, errors: e, totals: v) }
                        }
                        tracked[i].sums[key] = sums
                    }
                } catch {
                    tracked[i].lastError = "warm start: \(error)"
                }
            }
        }
    }

    /// Runs one cycle at `t` (ms): queries, window sums, series written, alerts updated.
    /// Returns the alert notifications due.
    @discardableResult
    public func evaluate(at t: Int64) async -> [AlertNotification] {
        let clock = ContinuousClock()
        let start = clock.now
        var out: [(labels: Labels, t: Int64, v: Double)] = []
        out.reserveCapacity(tracked.count * 16)
        var notifications: [AlertNotification] = []
        for i in tracked.indices {
            let (series, sent) = await evaluateOne(i, at: t)
            out += series
            notifications += sent
        }
        do { try await writer.write(out) } catch {
            for i in tracked.indices { tracked[i].lastError = "writing results: \(error)" }
        }
        lastEvaluation = t
        let d = clock.now - start
        lastCycleSeconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return notifications
    }

    private func evaluateOne(_ i: Int, at t: Int64) async -> ([(labels: Labels, t: Int64, v: Double)], [AlertNotification]) {
        let slo = tracked[i].spec
        let windows = tracked[i].windows
        var out: [(labels: Labels, t: Int64, v: Double)] = []
        var pageSamples: [RuleSample] = [], ticketSamples: [RuleSample] = []
        do throws(RuleEvaluationError) {
            let (errors, totals) = try await instantSLI(slo, window: "5m", at: t)
            let block = SLOWindowSums.block
            let boundary = t / block * block
            // A 5-minute block whose end no tick landed on is queried at its end.
            var blockValues: (errors: [Labels: Double], totals: [Labels: Double])?
            if boundary == t {
                blockValues = (errors, totals)
            } else if tracked[i].sums.values.contains(where: { ($0.lastBlock ?? 0) < boundary }) || tracked[i].sums.isEmpty {
                blockValues = try await instantSLI(slo, window: "5m", at: boundary)
            }
            // Windows that 5-minute blocks cannot tile are queried directly.
            var direct: [PromDuration: [Labels: Double]] = [:]
            for w in windows.sliWindows where w.milliseconds != block && (w.milliseconds % block != 0) {
                let (e, tot) = try await instantSLI(slo, window: w.prometheusString, at: t)
                direct[w] = tot.compactMapValues { $0 > 0 ? $0 : nil }.reduce(into: [:]) { r, kv in r[kv.key] = (e[kv.key] ?? 0) / kv.value }
            }
            let base = Labels(slo.labels.merging(slo.identityLabels) { $1 })
            for (key, total) in totals {
                let err = errors[key] ?? 0
                var sums = tracked[i].sums[key] ?? SLOWindowSums(longestWindow: slo.period.milliseconds, interval: interval)
                if total.isFinite && err.isFinite { sums.addTick(at: t, errors: err, totals: total) }
                if let b = blockValues, let bt = b.totals[key], bt.isFinite {
                    sums.addBlock(endingAt: boundary, errors: (b.errors[key] ?? 0).isFinite ? (b.errors[key] ?? 0) : 0, totals: bt)
                }
                tracked[i].sums[key] = sums
                let labels = Labels(base.labels + key.labels)
                var status = SLOStatusValues(labels: labels)
                for w in windows.sliWindows {
                    if w.milliseconds == block { if total > 0 { status.ratios[w] = err / total } }
                    else if let d = direct[w] { if let r = d[key] { status.ratios[w] = r } }
                    else if let r = sums.ratio(window: w.milliseconds, at: t) { status.ratios[w] = r }
                }
                out += Self.windowSeries(slo, windows: windows, status: status, at: t)
                tracked[i].status[key] = status
                if let s = Self.burning(status, windows.pageQuick, windows.pageSlow, slo: slo, period: slo.period) {
                    pageSamples.append(RuleSample(labels: labels, value: s))
                }
                if let s = Self.burning(status, windows.ticketQuick, windows.ticketSlow, slo: slo, period: slo.period) {
                    ticketSamples.append(RuleSample(labels: labels, value: s))
                }
            }
            out += Self.metaSeries(slo, at: t)
            tracked[i].lastError = nil
        } catch {
            tracked[i].lastError = error.description
        }
        if !warmed {
            pageSamples = []
            ticketSamples = []
        }
        var sent: [AlertNotification] = []
        for severity in ["page", "ticket"] {
            guard var m = severity == "page" ? tracked[i].page : tracked[i].ticket else { continue }
            if let alerts = try? m.evaluate(severity == "page" ? pageSamples : ticketSamples, at: t, settings: settings) { out += alerts }
            sent += m.alertsToSend(at: t, interval: interval, settings: settings)
            if severity == "page" { tracked[i].page = m } else { tracked[i].ticket = m }
        }
        let now = Set(out.map(\.labels))
        for gone in tracked[i].previousSeries.subtracting(now) { out.append((gone, t, RuleStaleNaN.value)) }
        tracked[i].previousSeries = now
        tracked[i].lastEvaluation = t
        return (out, sent)
    }

    /// The first window pair over its threshold: returns the short window's ratio, the value
    /// Sloth's `max(short > thr) without (sloth_window) and …` alert would carry.
    static func burning(_ s: SLOStatusValues, _ quick: BurnRateWindow, _ slow: BurnRateWindow, slo: SLOSpec, period: PromDuration) -> Double? {
        for w in [quick, slow] {
            let threshold = w.burnFactor(period: period) * slo.errorBudgetRatio
            if let short = s.ratios[w.shortWindow], let long = s.ratios[w.longWindow], short > threshold, long > threshold {
                return short
            }
        }
        return nil
    }

    static func windowSeries(_ slo: SLOSpec, windows: AlertWindows, status: SLOStatusValues, at t: Int64) -> [(labels: Labels, t: Int64, v: Double)] {
        var out: [(labels: Labels, t: Int64, v: Double)] = []
        let labels = status.labels
        for w in windows.sliWindows {
            guard let r = status.ratios[w] else { continue }
            out.append((labels.setting("__name__", to: SlothRuleGenerator.sliRecordName(w)).setting("sloth_window", to: w.prometheusString), t, r))
        }
        let budget = slo.errorBudgetRatio
        if let r5 = status.ratios[.minutes(5)] {
            out.append((labels.setting("__name__", to: "slo:current_burn_rate:ratio"), t, r5 / budget))
        }
        if let rp = status.ratios[slo.period] {
            out.append((labels.setting("__name__", to: "slo:period_burn_rate:ratio"), t, rp / budget))
            out.append((labels.setting("__name__", to: "slo:period_error_budget_remaining:ratio"), t, 1 - rp / budget))
        }
        return out
    }

    static func metaSeries(_ slo: SLOSpec, at t: Int64) -> [(labels: Labels, t: Int64, v: Double)] {
        let labels = Labels(slo.labels.merging(slo.identityLabels) { $1 })
        var info = labels.setting("__name__", to: "sloth_slo_info")
        info = info.setting("sloth_mode", to: slo.source.slothMode).setting("sloth_objective", to: GoFloat.shortest(slo.objective))
            .setting("sloth_spec", to: slo.source.specName).setting("sloth_version", to: KansokuRulesVersion.string)
        return [
            (labels.setting("__name__", to: "slo:objective:ratio"), t, slo.objectiveRatio),
            (labels.setting("__name__", to: "slo:error_budget:ratio"), t, 1 - slo.objectiveRatio),
            (labels.setting("__name__", to: "slo:time_period:days"), t, Double(slo.period.milliseconds) / 86_400_000),
            (info, t, 1),
        ]
    }

    // MARK: queries

    /// Error and total values of the 5m SLI at `t`, by result labels. A raw SLI yields its
    /// ratio as errors over a total of 1. An empty error result means no errors.
    private func instantSLI(_ slo: SLOSpec, window: String, at t: Int64) async throws(RuleEvaluationError) -> (errors: [Labels: Double], totals: [Labels: Double]) {
        let lang = slo.sli.language
        switch slo.sli.query {
        case .events(let e, let tot):
            let errs = try await engine.instant(SLISpec.render(e, window: window), language: lang, at: t)
            let tots = try await engine.instant(SLISpec.render(tot, window: window), language: lang, at: t)
            return (Self.byKey(errs), Self.byKey(tots))
        case .raw(let r):
            let ratios = Self.byKey(try await engine.instant(SLISpec.render(r, window: window), language: lang, at: t))
            return (ratios, ratios.mapValues { _ in 1 })
        }
    }

    private func rangeSLI(_ slo: SLOSpec, start: Int64, end: Int64, step: Int64) async throws(RuleEvaluationError) -> (errors: [Labels: RuleSeries], totals: [Labels: RuleSeries]) {
        let lang = slo.sli.language
        func keyed(_ s: [RuleSeries]) -> [Labels: RuleSeries] {
            Dictionary(s.map { ($0.labels.removing(["__name__"]), $0) }, uniquingKeysWith: { a, _ in a })
        }
        switch slo.sli.query {
        case .events(let e, let tot):
            let errs = try await engine.range(SLISpec.render(e, window: "5m"), language: lang, start: start, end: end, step: step)
            let tots = try await engine.range(SLISpec.render(tot, window: "5m"), language: lang, start: start, end: end, step: step)
            return (keyed(errs), keyed(tots))
        case .raw(let r):
            let ratios = keyed(try await engine.range(SLISpec.render(r, window: "5m"), language: lang, start: start, end: end, step: step))
            return (ratios, ratios.mapValues { RuleSeries(labels: $0.labels, timestamps: $0.timestamps, values: $0.values.map { _ in 1 }) })
        }
    }

    static func byKey(_ samples: [RuleSample]) -> [Labels: Double] {
        var out: [Labels: Double] = [:]
        for s in samples { out[s.labels.removing(["__name__"]), default: 0] += s.value }
        return out
    }

    // MARK: reading state

    /// Current values of every SLO, for `kansoku slo status`, the TUI and the server.
    public func status() -> [SLOStatus] {
        tracked.flatMap { t -> [SLOStatus] in
            let alerts = (t.page.map { Array($0.active.values) } ?? []) + (t.ticket.map { Array($0.active.values) } ?? [])
            let values = t.status.isEmpty ? [SLOStatusValues(labels: Labels(t.spec.identityLabels))] : Array(t.status.values)
            return values.map { v in
                SLOStatus(spec: t.spec, windows: t.windows, values: v,
                          alerts: alerts.filter { a in v.labels.allSatisfy { a.labels[$0.name] == $0.value } },
                          lastEvaluation: t.lastEvaluation, lastError: t.lastError)
            }
        }
    }

    /// The SLOs' page and ticket alerts, for `/api/v1/alerts`.
    public func activeAlerts() -> [AlertInstance] {
        tracked.flatMap { ($0.page.map { Array($0.active.values) } ?? []) + ($0.ticket.map { Array($0.active.values) } ?? []) }
    }

    public var isWarm: Bool { warmed }
    public var sloCount: Int { tracked.count }
}
