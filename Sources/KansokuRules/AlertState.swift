public import KansokuCore
public import KansokuTemplate

/// State of one alert instance, as Prometheus names them.
public enum AlertState: String, Sendable, Hashable, Codable {
    case inactive
    case pending
    case firing
}

/// One alert instance of an alerting rule: one per output label set.
public struct AlertInstance: Sendable, Hashable {
    public var labels: Labels
    public var annotations: [String: String]
    public var value: Double
    public var state: AlertState
    /// When the condition first held (ms).
    public var activeAt: Int64
    /// When the alert started firing (ms).
    public var firedAt: Int64?
    /// When it stopped firing (ms); resolved alerts stay 15 minutes so the resolution is re-sent.
    public var resolvedAt: Int64?
    public var lastSentAt: Int64?
    public var validUntil: Int64?
    /// Since when the condition no longer holds while `keep_firing_for` keeps it firing.
    public var keepFiringSince: Int64?
}

/// Settings of alert evaluation and sending, after Prometheus's flags.
public struct AlertingSettings: Sendable {
    /// Resolved alerts are kept (and re-sent) this long (`resolvedRetention`, 15m).
    public var resolvedRetention: Int64 = 15 * 60_000
    /// Minimum time between re-sends of a firing alert (`rules.alert.resend-delay`, 1m).
    public var resendDelay: Int64 = 60_000
    /// ALERTS_FOR_STATE older than this is not restored (`rules.alert.for-outage-tolerance`, 1h).
    public var forOutageTolerance: Int64 = 3_600_000
    /// Minimum `for` left after a restore (`rules.alert.for-grace-period`, 10m).
    public var forGracePeriod: Int64 = 10 * 60_000
    /// Base of generator URLs.
    public var externalURL = "http://127.0.0.1:3100"
    public var externalLabels: [String: String] = [:]

    public init() {}
}

/// The pending → firing → resolved machine of one alerting rule (Prometheus's
/// `rules/alerting.go`), independent of how the condition is computed: fed each evaluation
/// with the samples for which the condition holds.
public struct AlertStateMachine: Sendable {
    public let name: String
    public let expr: String
    public let forDuration: Int64
    public let keepFiringFor: Int64
    public let labelTemplates: [(String, AlertTemplate)]
    public let annotationTemplates: [(String, AlertTemplate)]
    public private(set) var active: [Labels: AlertInstance] = [:]
    /// Whether ALERTS_FOR_STATE has been consulted after a restart.
    public var restored = false

    public init(name: String, expr: String, forDuration: Int64, keepFiringFor: Int64,
                labels: [String: String], annotations: [String: String]) throws(TemplateError) {
        self.name = name
        self.expr = expr
        self.forDuration = forDuration
        self.keepFiringFor = keepFiringFor
        var lt: [(String, AlertTemplate)] = []
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) { lt.append((k, try AlertTemplate(v))) }
        var at: [(String, AlertTemplate)] = []
        for (k, v) in annotations.sorted(by: { $0.key < $1.key }) { at.append((k, try AlertTemplate(v))) }
        labelTemplates = lt
        annotationTemplates = at
    }

    /// Applies one evaluation at `t` (ms) where the condition holds for `samples`. Returns the
    /// `ALERTS` and `ALERTS_FOR_STATE` samples to store for `t`. With a `limit` above zero,
    /// more active alerts than that clear the rule and fail, as Prometheus does.
    public mutating func evaluate(_ samples: [RuleSample], at t: Int64, settings: AlertingSettings, limit: Int = 0) throws(RuleEvaluationError) -> [(labels: Labels, t: Int64, v: Double)] {
        var seen = Set<Labels>()
        for s in samples {
            var base = s.labels.removing(["__name__"])
            let data = AlertTemplate.Data(labels: Dictionary(uniqueKeysWithValues: base.map { ($0.name, $0.value) }), value: s.value,
                                          externalLabels: settings.externalLabels, externalURL: settings.externalURL)
            for (k, tpl) in labelTemplates { base = base.setting(k, to: tpl.expand(data)) }
            let labels = base.setting("alertname", to: name)
            var annotations: [String: String] = [:]
            for (k, tpl) in annotationTemplates { annotations[k] = tpl.expand(data) }
            if seen.contains(labels) {
                throw .duplicateSeries(labels.description)
            }
            seen.insert(labels)
            if var a = active[labels], a.state != .inactive {
                a.value = s.value
                a.annotations = annotations
                a.keepFiringSince = nil
                active[labels] = a
                continue
            }
            active[labels] = AlertInstance(labels: labels, annotations: annotations, value: s.value, state: .pending,
                                           activeAt: t, firedAt: nil, resolvedAt: nil, lastSentAt: nil, validUntil: nil, keepFiringSince: nil)
        }
        var numActive = 0
        for (labels, var a) in active {
            if !seen.contains(labels) {
                switch a.state {
                case .pending:
                    active[labels] = nil
                    continue
                case .firing:
                    if keepFiringFor > 0 {
                        let since = a.keepFiringSince ?? t
                        a.keepFiringSince = since
                        if t - since < keepFiringFor {
                            active[labels] = a
                            numActive += 1
                            continue
                        }
                    }
                    a.state = .inactive
                    a.resolvedAt = t
                    a.keepFiringSince = nil
                case .inactive:
                    if let r = a.resolvedAt, t - r > settings.resolvedRetention {
                        active[labels] = nil
                        continue
                    }
                }
                active[labels] = a
                continue
            }
            numActive += 1
            if a.state == .pending && t - a.activeAt >= forDuration {
                a.state = .firing
                a.firedAt = t
            }
            active[labels] = a
        }
        if limit > 0 && numActive > limit {
            active = [:]
            throw .limitExceeded(limit: limit, got: numActive)
        }
        return series(at: t)
    }

    /// `ALERTS{alertstate}` = 1 and `ALERTS_FOR_STATE` = activeAt (seconds) of active alerts.
    public func series(at t: Int64) -> [(labels: Labels, t: Int64, v: Double)] {
        var out: [(labels: Labels, t: Int64, v: Double)] = []
        for a in active.values where a.state != .inactive {
            out.append((a.labels.setting("__name__", to: "ALERTS").setting("alertstate", to: a.state.rawValue), t, 1))
            out.append((a.labels.setting("__name__", to: "ALERTS_FOR_STATE"), t, Double(a.activeAt) / 1000))
        }
        return out
    }

    /// Restores `activeAt` of pending alerts from the last `ALERTS_FOR_STATE` samples written
    /// before a restart (`series`), as Prometheus does after its first evaluation: the time
    /// already spent pending counts, shifted by the downtime, with at least the grace period left.
    public mutating func restore(from series: [RuleSeries], at t: Int64, settings: AlertingSettings) {
        restored = true
        guard forDuration > 0 else { return }
        var byLabels: [Labels: (downAt: Int64, activeAt: Int64)] = [:]
        for s in series {
            guard let last = s.timestamps.indices.last(where: { !RuleStaleNaN.isStale(s.values[$0]) }) else { continue }
            byLabels[s.labels.removing(["__name__"])] = (s.timestamps[last], Int64(s.values[last] * 1000))
        }
        for (labels, var a) in active where a.state == .pending {
            guard let prior = byLabels[labels], t - prior.downAt < settings.forOutageTolerance else { continue }
            let spent = prior.downAt - prior.activeAt
            let remaining = forDuration - spent
            var restoredAt = prior.activeAt
            if remaining <= 0 {
                // It was firing when the process stopped; it fires again if still true.
            } else if remaining < settings.forGracePeriod {
                restoredAt = t + settings.forGracePeriod - forDuration
            } else {
                restoredAt = prior.activeAt + (t - prior.downAt)
            }
            a.activeAt = restoredAt
            if t - a.activeAt >= forDuration {
                a.state = .firing
                a.firedAt = t
            }
            active[labels] = a
        }
    }

    /// Alerts due for sending at `t`: firing ones at most every resend delay, resolved ones
    /// once after resolving and then every resend delay while retained. Marks them sent.
    public mutating func alertsToSend(at t: Int64, interval: Int64, settings: AlertingSettings) -> [AlertNotification] {
        var out: [AlertNotification] = []
        let url = generatorURL(settings.externalURL)
        for (labels, var a) in active {
            guard a.state != .pending else { continue }
            let resolvedSinceSend = a.resolvedAt.map { r in a.lastSentAt.map { r > $0 } ?? true } ?? false
            let due = resolvedSinceSend || a.lastSentAt.map { $0 + settings.resendDelay < t } ?? true
            guard due else { continue }
            a.lastSentAt = t
            a.validUntil = t + 4 * max(interval, settings.resendDelay)
            active[labels] = a
            out.append(AlertNotification(
                labels: labels.merging(settings.externalLabels), annotations: a.annotations,
                startsAt: a.firedAt ?? a.activeAt, endsAt: a.resolvedAt ?? a.validUntil!,
                generatorURL: url, status: a.resolvedAt == nil ? .firing : .resolved))
        }
        return out.sorted { $0.labels.description < $1.labels.description }
    }

    /// `<external URL>/graph?g0.expr=<expr>&g0.tab=1`.
    public func generatorURL(_ base: String) -> String {
        var allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)
        allowed.remove(UInt8(ascii: "+"))
        var q = ""
        for b in expr.utf8 {
            if allowed.contains(b) { q.unicodeScalars.append(UnicodeScalar(b)) }
            else if b == UInt8(ascii: " ") { q += "+" }
            else { q += "%" + String(b, radix: 16, uppercase: true).leftPadded(2) }
        }
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return "\(trimmed)/graph?g0.expr=\(q)&g0.tab=1"
    }
}

extension Labels {
    /// The set with `extra` added where no label of that name exists yet.
    func merging(_ extra: [String: String]) -> Labels {
        var out = self
        for (k, v) in extra where out[k] == nil { out = out.setting(k, to: v) }
        return out
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
