public import KansokuCore

/// Kansoku's version, written into generated files and the `sloth_version` info label.
public enum KansokuRulesVersion {
    public static let string = "kansoku-0.1.0"
}

/// Options of `kansoku slo generate`, after Sloth's `generate` flags.
public struct SLOGenerateOptions: Sendable {
    public var disableRecordings = false
    public var disableAlerts = false
    public var windows = AlertWindowsCatalog()
    public var version = KansokuRulesVersion.string

    public init() {}

    /// Whether alert groups are generated (the opposite of `disableAlerts`).
    public var includeAlerts: Bool {
        get { !disableAlerts }
        set { disableAlerts = !newValue }
    }

    /// Whether recording groups are generated (the opposite of `disableRecordings`).
    public var includeRecordings: Bool {
        get { !disableRecordings }
        set { disableRecordings = !newValue }
    }
}

/// Turns SLOs into the Prometheus recording and alerting rules Sloth generates: per SLO a
/// group of SLI error-ratio recordings (one per alert window plus the period), a group of
/// metadata recordings (objective, budget, burn rates, info) and a group with the page and
/// ticket multi-window multi-burn-rate alerts.
public enum SlothRuleGenerator {
    public static func groups(for slo: SLOSpec, options: SLOGenerateOptions) throws(SpecError) -> [RuleGroupSpec] {
        guard let windows = options.windows.windows(for: slo.period) else {
            throw SpecError([SpecIssue(file: slo.file, position: slo.position,
                message: "SLO \(goQuoted(slo.name)): window period \(slo.period.prometheusString) missing: no alert windows for it")])
        }
        var out: [RuleGroupSpec] = []
        if !options.disableRecordings {
            out.append(RuleGroupSpec(name: "sloth-slo-sli-recordings-\(slo.id)", language: slo.sli.language == .logql ? .logql : nil,
                                     rules: sliRules(slo, windows: windows), file: slo.file ?? "", position: slo.position))
            out.append(RuleGroupSpec(name: "sloth-slo-meta-recordings-\(slo.id)", rules: metaRules(slo, options: options),
                                     file: slo.file ?? "", position: slo.position))
        }
        if !options.disableAlerts {
            let alerts = alertRules(slo, windows: windows)
            if !alerts.isEmpty {
                out.append(RuleGroupSpec(name: "sloth-slo-alerts-\(slo.id)", rules: alerts, file: slo.file ?? "", position: slo.position))
            }
        }
        if let i = slo.plugins.ruleInterval { for k in out.indices { out[k].interval = i } }
        return out
    }

    /// Name of the SLI recording for `window`: `slo:sli_error:ratio_rate5m`.
    public static func sliRecordName(_ window: PromDuration) -> String {
        "slo:sli_error:ratio_rate\(window.prometheusString)"
    }

    /// `{sloth_id="…", sloth_service="…", sloth_slo="…"}`: the selector of an SLO's series.
    static func selector(_ slo: SLOSpec) -> String { Labels(slo.identityLabels).description }

    /// The SLI error-ratio expression for one window, as Sloth renders it.
    public static func sliExpression(_ slo: SLOSpec, window: PromDuration) -> String {
        let w = window.prometheusString
        switch slo.sli.query {
        case .events(let e, let t):
            return "(\(SLISpec.render(e, window: w)))\n/\n(\(SLISpec.render(t, window: w)))\n"
        case .raw(let r):
            return "(\(SLISpec.render(r, window: w)))"
        }
    }

    static func sliRules(_ slo: SLOSpec, windows: AlertWindows) -> [RuleSpec] {
        var rules: [RuleSpec] = []
        for window in windows.windows where window != slo.period {
            rules.append(sliRule(slo, window: window, expr: sliExpression(slo, window: window), language: slo.sli.language))
        }
        let period = slo.period
        if slo.plugins.disableOptimizedPeriod {
            rules.append(sliRule(slo, window: period, expr: sliExpression(slo, window: period), language: slo.sli.language))
        } else {
            // The period ratio comes from the recorded 5m series, not raw data: cheap at any period.
            let sel = selector(slo)
            let p = period.prometheusString
            let expr = "sum_over_time(slo:sli_error:ratio_rate5m\(sel)[\(p)])\n/ ignoring (sloth_window)\ncount_over_time(slo:sli_error:ratio_rate5m\(sel)[\(p)])\n"
            rules.append(sliRule(slo, window: period, expr: expr, language: .promql))
        }
        return rules
    }

    private static func sliRule(_ slo: SLOSpec, window: PromDuration, expr: String, language: QueryLanguage) -> RuleSpec {
        var labels = slo.labels.merging(slo.identityLabels) { $1 }
        labels["sloth_window"] = window.prometheusString
        return RuleSpec(kind: .recording(sliRecordName(window)), expr: expr, language: language, labels: labels)
    }

    static func metaRules(_ slo: SLOSpec, options: SLOGenerateOptions) -> [RuleSpec] {
        let labels = slo.labels.merging(slo.identityLabels) { $1 }
        let sel = selector(slo)
        let objective = GoFloat.shortest(slo.objectiveRatio)
        let days = GoFloat.shortest(Double(slo.period.milliseconds) / 86_400_000)
        var info = labels.merging(slo.plugins.infoLabels) { $1 }
        info["sloth_mode"] = slo.source.slothMode
        info["sloth_objective"] = GoFloat.shortest(slo.objective)
        info["sloth_spec"] = slo.source.specName
        info["sloth_version"] = options.version
        let period = sliRecordName(slo.period)
        return [
            RuleSpec(kind: .recording("slo:objective:ratio"), expr: "vector(\(objective))", labels: labels),
            RuleSpec(kind: .recording("slo:error_budget:ratio"), expr: "vector(1-\(objective))", labels: labels),
            RuleSpec(kind: .recording("slo:time_period:days"), expr: "vector(\(days))", labels: labels),
            RuleSpec(kind: .recording("slo:current_burn_rate:ratio"),
                     expr: "slo:sli_error:ratio_rate5m\(sel)\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio\(sel)\n",
                     labels: labels),
            RuleSpec(kind: .recording("slo:period_burn_rate:ratio"),
                     expr: "\(period)\(sel)\n/ on(sloth_id, sloth_slo, sloth_service) group_left\nslo:error_budget:ratio\(sel)\n",
                     labels: labels),
            RuleSpec(kind: .recording("slo:period_error_budget_remaining:ratio"), expr: "1 - slo:period_burn_rate:ratio\(sel)", labels: labels),
            RuleSpec(kind: .recording("sloth_slo_info"), expr: "vector(1)", labels: info),
        ]
    }

    static func alertRules(_ slo: SLOSpec, windows: AlertWindows) -> [RuleSpec] {
        var out: [RuleSpec] = []
        let a = slo.alerting
        for (severity, spec, quick, slow) in [("page", a.page, windows.pageQuick, windows.pageSlow),
                                               ("ticket", a.ticket, windows.ticketQuick, windows.ticketSlow)] where !spec.disable {
            var labels = a.labels.merging(spec.labels) { $1 }
            labels["sloth_severity"] = severity
            var annotations = a.annotations.merging(spec.annotations) { $1 }
            if annotations["title"] == nil {
                annotations["title"] = "(\(severity)) {{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is too fast."
            }
            if annotations["summary"] == nil {
                annotations["summary"] = "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget burn rate is over expected."
            }
            out.append(RuleSpec(kind: .alerting(a.name), expr: alertExpression(slo, period: windows.period, quick: quick, slow: slow),
                                labels: labels, annotations: annotations))
        }
        return out
    }

    /// `(short > thr and long > thr) or (…)` over the recorded SLI series, thresholds written
    /// `(<factor> * <budget>)` as Sloth does.
    public static func alertExpression(_ slo: SLOSpec, period: PromDuration, quick: BurnRateWindow, slow: BurnRateWindow) -> String {
        let sel = selector(slo)
        let budget = GoFloat.shortest(slo.errorBudgetRatio)
        func pair(_ w: BurnRateWindow) -> String {
            let thr = "(\(GoFloat.shortest(w.burnFactor(period: period))) * \(budget))"
            return "(\n    max(\(sliRecordName(w.shortWindow))\(sel) > \(thr)) without (sloth_window)\n    and\n    max(\(sliRecordName(w.longWindow))\(sel) > \(thr)) without (sloth_window)\n)"
        }
        return "\(pair(quick))\nor\n\(pair(slow))\n"
    }
}
