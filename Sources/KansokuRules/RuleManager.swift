import KansokuCore

/// Runs everything in the rule paths: each rule group on its own interval (rules in order at
/// one timestamp), all SLOs through the incremental `SLOEvaluator` at the global interval.
/// Alert notifications go to the sink, if any, and to `notifications`.
public actor RuleManager {
    public nonisolated let groups: [RuleGroupRunner]
    public nonisolated let slos: SLOEvaluator
    public nonisolated let interval: Int64
    /// Every batch of alerts due for sending, as evaluations produce them.
    public nonisolated let notifications: AsyncStream<[AlertNotification]>
    let continuation: AsyncStream<[AlertNotification]>.Continuation
    let sink: (any AlertNotificationSink)?
    let settings: AlertingSettings
    /// With tenancy on, how each group's tenant reads and writes; nil without tenancy.
    public nonisolated let tenants: (any RuleTenantScope)?

    /// `interval` is the default (global) evaluation interval in ms.
    public init(ruleSet: RuleSet, engine: any RuleQueryEngine, writer: any RuleSampleWriter, interval: Int64 = 30_000,
                settings: AlertingSettings = AlertingSettings(), sink: (any AlertNotificationSink)? = nil,
                tenants: (any RuleTenantScope)? = nil) throws(SpecError) {
        var issues: [SpecIssue] = []
        var runners: [RuleGroupRunner] = []
        for g in ruleSet.groups {
            do throws(SpecError) {
                let tenant = tenants.map { g.tenant ?? $0.defaultTenant }
                runners.append(try RuleGroupRunner(spec: g, defaultInterval: interval, engine: tenant.map { tenants!.engine(for: $0) } ?? engine,
                                                   writer: tenant.map { tenants!.writer(for: $0) } ?? writer, settings: settings))
            } catch { issues += error.issues }
        }
        var evaluator: SLOEvaluator?
        do throws(SpecError) {
            // SLOs belong to the default tenant.
            let sloEngine = tenants.map { $0.engine(for: $0.defaultTenant) } ?? engine
            let sloWriter = tenants.map { $0.writer(for: $0.defaultTenant) } ?? writer
            evaluator = try SLOEvaluator(slos: ruleSet.slos, windows: ruleSet.windows, engine: sloEngine, writer: sloWriter, interval: interval, settings: settings)
        } catch { issues += error.issues }
        if !issues.isEmpty { throw SpecError(issues) }
        groups = runners
        slos = evaluator!
        self.interval = interval
        self.settings = settings
        self.sink = sink
        self.tenants = tenants
        (notifications, continuation) = AsyncStream<[AlertNotification]>.makeStream(bufferingPolicy: .bufferingNewest(1024))
    }

    /// One pass over every group and the SLOs at `t` (ms); used by the scheduler, tests and
    /// `promtool test`-style checks.
    @discardableResult
    public func evaluateAll(at t: Int64) async -> [AlertNotification] {
        var sent = await slos.evaluate(at: t)
        for g in groups { sent += await g.evaluate(at: t) }
        await deliver(sent)
        return sent
    }

    func deliver(_ alerts: [AlertNotification]) async {
        guard !alerts.isEmpty else { return }
        continuation.yield(alerts)
        if let sink { await sink.send(alerts) }
    }

    /// Evaluates until the task is cancelled: every group at its interval, offset within it by
    /// a hash of its name (as Prometheus spreads groups), SLOs at the global interval after a
    /// warm start from stored data.
    public func run() async {
        await withTaskGroup(of: Void.self) { tasks in
            // History fills the SLO windows while evaluation already records series.
            tasks.addTask { [slos] in await slos.warmStart(at: Self.nowMillis()) }
            tasks.addTask { [slos, interval] in
                await Self.loop(interval: interval, offsetKey: "slo") { t in
                    let sent = await slos.evaluate(at: t)
                    await self.deliver(sent)
                }
            }
            for g in groups {
                tasks.addTask {
                    await Self.loop(interval: g.interval, offsetKey: g.spec.file + "/" + g.spec.name) { t in
                        let sent = await g.evaluate(at: t)
                        await self.deliver(sent)
                    }
                }
            }
        }
        continuation.finish()
    }

    static func nowMillis() -> Int64 { TimeParser.currentNanos() / 1_000_000 }

    /// Ticks at `k × interval + offset`; an overrunning evaluation skips missed ticks.
    static func loop(interval: Int64, offsetKey: String, _ body: @Sendable (Int64) async -> Void) async {
        var h = FNV1a64()
        h.combine(offsetKey)
        let offset = Int64(h.value % UInt64(max(interval, 1)))
        while !Task.isCancelled {
            let now = nowMillis()
            var next = (now - offset) / interval * interval + offset
            if next < now { next += interval }
            do { try await Task.sleep(for: .milliseconds(next - now)) } catch { return }
            await body(next)
        }
    }

    // MARK: API data

    /// `/api/v1/rules` data: rule groups, then the SLOs' alert groups. `type` is `alert`, `record` or nil.
    public func rulesData(type: String? = nil, tenant: String? = nil) async -> RulesAPI.RulesData {
        var out: [RulesAPI.Group] = []
        for g in groups where visible(g.spec, to: tenant) { out.append(RulesAPI.group(await g.snapshot(), type: type)) }
        if sloVisible(to: tenant) { for g in await slos.groupSnapshots() { out.append(RulesAPI.group(g, type: type)) } }
        return RulesAPI.RulesData(groups: out)
    }

    /// `/api/v1/alerts` data: every pending and firing alert.
    public func alertsData(tenant: String? = nil) async -> RulesAPI.AlertsData {
        var alerts: [AlertInstance] = []
        for g in groups where visible(g.spec, to: tenant) { alerts += await g.snapshot().rules.flatMap(\.alerts) }
        if sloVisible(to: tenant) { alerts += await slos.activeAlerts() }
        return RulesAPI.AlertsData(alerts: alerts.filter { $0.state != .inactive }
            .sorted { $0.labels.description < $1.labels.description }.map(RulesAPI.alert))
    }

    public func sloStatus() async -> [SLOStatus] { await slos.status() }

    /// Every rule group and the SLOs' alert groups with their last evaluation, for
    /// self-metrics and the API.
    public func groupSnapshots() async -> [RuleGroupSnapshot] {
        var out: [RuleGroupSnapshot] = []
        for g in groups { out.append(await g.snapshot()) }
        return out + (await slos.groupSnapshots())
    }

    /// Whether `tenant` (nil: any, tenancy off) may see a group.
    nonisolated func visible(_ spec: RuleGroupSpec, to tenant: String?) -> Bool {
        guard let tenant, let tenants else { return true }
        return (spec.tenant ?? tenants.defaultTenant) == tenant
    }

    /// SLOs belong to the default tenant.
    nonisolated func sloVisible(to tenant: String?) -> Bool {
        guard let tenant, let tenants else { return true }
        return tenant == tenants.defaultTenant
    }
}

extension SLOEvaluator {
    /// The SLOs as the rule groups Sloth would generate, with the live alert state, so
    /// `/api/v1/rules` lists them beside hand-written rules.
    public func groupSnapshots() -> [RuleGroupSnapshot] {
        tracked.map { t in
            let alerts = SlothRuleGenerator.alertRules(t.spec, windows: t.windows)
            let status = RuleStatus(health: t.lastEvaluation == nil ? .unknown : (t.lastError == nil ? .ok : .err),
                                    lastError: t.lastError, lastEvaluation: t.lastEvaluation, evaluationSeconds: 0)
            let snaps = alerts.map { r in
                let m = r.labels["sloth_severity"] == "page" ? t.page : t.ticket
                return RuleSnapshot(rule: r, status: status, alerts: m.map { Array($0.active.values) } ?? [])
            }
            return RuleGroupSnapshot(spec: RuleGroupSpec(name: "sloth-slo-alerts-\(t.spec.id)", rules: alerts, file: t.spec.file ?? ""),
                                     interval: interval, rules: snaps, lastEvaluation: t.lastEvaluation, evaluationSeconds: lastCycleSeconds)
        }
    }
}
