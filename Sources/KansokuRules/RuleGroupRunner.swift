import KansokuCore
import KansokuTemplate

/// Health of a rule after its last evaluation.
public enum RuleHealth: String, Sendable, Codable {
    case unknown, ok, err
}

/// What the last evaluation of a rule left behind, for `/api/v1/rules`.
public struct RuleStatus: Sendable {
    public var health: RuleHealth = .unknown
    public var lastError: String?
    public var lastEvaluation: Int64?
    public var evaluationSeconds: Double = 0
}

/// A group of rules evaluated in order at one timestamp: recording rules write their
/// results, alerting rules drive their state machines. Series that vanish get stale markers.
public actor RuleGroupRunner {
    public nonisolated let spec: RuleGroupSpec
    public nonisolated let interval: Int64
    let engine: any RuleQueryEngine
    let writer: any RuleSampleWriter
    let settings: AlertingSettings
    var machines: [Int: AlertStateMachine] = [:]
    var statuses: [RuleStatus]
    var previousSeries: [Int: Set<Labels>] = [:]
    public private(set) var lastEvaluation: Int64?
    public private(set) var evaluationSeconds: Double = 0
    /// From the last evaluation's scheduled time to its end: what a loaded server adds to
    /// `evaluationSeconds` by starting it late.
    public private(set) var lagSeconds: Double = 0

    /// Builds the runner; label and annotation templates are parsed here (errors carry the rule).
    public init(spec: RuleGroupSpec, defaultInterval: Int64, engine: any RuleQueryEngine, writer: any RuleSampleWriter,
                settings: AlertingSettings = AlertingSettings()) throws(SpecError) {
        self.spec = spec
        interval = spec.interval?.milliseconds ?? defaultInterval
        self.engine = engine
        self.writer = writer
        self.settings = settings
        statuses = Array(repeating: RuleStatus(), count: spec.rules.count)
        var issues: [SpecIssue] = []
        for (i, r) in spec.rules.enumerated() where r.isAlerting {
            do throws(TemplateError) {
                machines[i] = try AlertStateMachine(name: r.name, expr: r.expr, forDuration: r.forDuration.milliseconds,
                                                    keepFiringFor: r.keepFiringFor.milliseconds,
                                                    labels: spec.labels.merging(r.labels) { $1 }, annotations: r.annotations)
            } catch {
                issues.append(SpecIssue(file: spec.file, position: r.position, message: "alert \(goQuoted(r.name)): template: \(error)"))
            }
        }
        if !issues.isEmpty { throw SpecError(issues) }
    }

    /// Evaluates every rule at `t` (ms) and returns the alerts due for sending.
    @discardableResult
    public func evaluate(at t: Int64) async -> [AlertNotification] {
        let clock = ContinuousClock()
        let groupStart = clock.now
        let queryTime = t - (spec.queryOffset?.milliseconds ?? 0)
        var notifications: [AlertNotification] = []
        for (i, rule) in spec.rules.enumerated() {
            let start = clock.now
            var out: [(labels: Labels, t: Int64, v: Double)] = []
            do throws(RuleEvaluationError) {
                let samples = try await engine.instant(rule.expr, language: rule.language, at: queryTime)
                if var m = machines[i] {
                    do throws(RuleEvaluationError) {
                        out = try m.evaluate(samples, at: t, settings: settings, limit: spec.limit)
                    } catch {
                        machines[i] = m
                        throw error
                    }
                    if !m.restored {
                        await restore(&m, at: t)
                        out = m.series(at: t)
                    }
                    notifications += m.alertsToSend(at: t, interval: interval, settings: settings)
                    machines[i] = m
                } else {
                    out = try recordingOutput(rule, samples, at: t)
                }
                statuses[i].health = .ok
                statuses[i].lastError = nil
            } catch {
                statuses[i].health = .err
                statuses[i].lastError = error.description
                if let m = machines[i] {
                    var mm = m
                    notifications += mm.alertsToSend(at: t, interval: interval, settings: settings)
                    machines[i] = mm
                }
            }
            // Series written last time but not now end with a stale marker.
            let now = Set(out.map(\.labels))
            for gone in previousSeries[i, default: []].subtracting(now) { out.append((gone, t, RuleStaleNaN.value)) }
            previousSeries[i] = now
            if !out.isEmpty {
                do { try await writer.write(out) } catch {
                    statuses[i].health = .err
                    statuses[i].lastError = "writing results: \(error)"
                }
            }
            statuses[i].lastEvaluation = t
            statuses[i].evaluationSeconds = Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)
        }
        lastEvaluation = t
        let d = clock.now - groupStart
        evaluationSeconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        lagSeconds = Double(TimeParser.currentNanos() / 1000 - t * 1000) / 1e6
        return notifications
    }

    private func recordingOutput(_ rule: RuleSpec, _ samples: [RuleSample], at t: Int64) throws(RuleEvaluationError) -> [(labels: Labels, t: Int64, v: Double)] {
        if spec.limit > 0 && samples.count > spec.limit { throw .limitExceeded(limit: spec.limit, got: samples.count) }
        let extra = spec.labels.merging(rule.labels) { $1 }
        var out: [(labels: Labels, t: Int64, v: Double)] = []
        var seen = Set<Labels>()
        for s in samples {
            var l = s.labels.setting("__name__", to: rule.name)
            for (k, v) in extra { l = l.setting(k, to: v) }
            if !seen.insert(l).inserted { throw .duplicateSeries(l.description) }
            out.append((l, t, s.value))
        }
        return out
    }

    /// After the first evaluation, pending alerts get back the `for` time they had already
    /// spent before a restart.
    private func restore(_ m: inout AlertStateMachine, at t: Int64) async {
        guard m.forDuration > 0, m.active.values.contains(where: { $0.state == .pending }) else {
            m.restored = true
            return
        }
        let matchers = (try? [LabelMatcher(name: "__name__", type: .equal, value: "ALERTS_FOR_STATE"),
                              LabelMatcher(name: "alertname", type: .equal, value: m.name)]) ?? []
        let series = (try? await writer.read(matchers: matchers, from: t - settings.forOutageTolerance, through: t)) ?? []
        m.restore(from: series, at: t, settings: settings)
    }

    /// Rules of the group with their state, for the HTTP API.
    public func snapshot() -> RuleGroupSnapshot {
        var rules: [RuleSnapshot] = []
        for (i, r) in spec.rules.enumerated() {
            rules.append(RuleSnapshot(rule: r, status: statuses[i], alerts: machines[i].map { Array($0.active.values) } ?? []))
        }
        return RuleGroupSnapshot(spec: spec, interval: interval, rules: rules, lastEvaluation: lastEvaluation, evaluationSeconds: evaluationSeconds, lagSeconds: lagSeconds)
    }
}

/// One rule and its state at a moment.
public struct RuleSnapshot: Sendable {
    public var rule: RuleSpec
    public var status: RuleStatus
    public var alerts: [AlertInstance]
}

/// One group and its rules at a moment.
public struct RuleGroupSnapshot: Sendable {
    public var spec: RuleGroupSpec
    public var interval: Int64
    public var rules: [RuleSnapshot]
    public var lastEvaluation: Int64?
    public var evaluationSeconds: Double
    public var lagSeconds: Double = 0
}
