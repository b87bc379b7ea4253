import KansokuCore
import Logging

/// Routes alerts into aggregation groups and flushes them on Alertmanager's timers: a new
/// group waits `group_wait`, then flushes every `group_interval`; each flush asks the
/// notification log whether to notify (new firing alerts, newly resolved ones, all
/// resolved, or `repeat_interval` elapsed). A notification is committed to the outbox
/// before the log records it, and the log and the group's alerts are persisted, so a
/// restart neither repeats nor loses a notification.
actor Dispatcher {
    private let root: Route
    private let receivers: [String: ReceiverConfig]
    private let externalURL: String
    private let outbox: Outbox
    private let store: GroupStateStore
    private let metrics: NotifyMetricsRecorder
    private let logger: Logger
    private let clock: @Sendable () -> UnixNanos
    private let retention: Int64
    private let restoreGrace: Int64
    /// First delay before a flush whose outbox write failed is tried again (doubling, at
    /// most `group_interval`).
    private let outboxRetry: Duration

    private var groups: [GroupID: AggregationGroup] = [:]
    /// The notification log: last notification per group, kept `retention` after the group
    /// emptied, with the creation time of the outbox record it came from.
    private var log: [GroupID: (entry: NotificationLogEntry, recordCreatedAt: UnixNanos)] = [:]
    private var timerGeneration = 0
    private var stopped = false
    private let forwarder: AlertmanagerForwarder

    init(
        root: Route, receivers: [String: ReceiverConfig], externalURL: String, outbox: Outbox,
        store: GroupStateStore, delivery: DeliveryConfig, metrics: NotifyMetricsRecorder, logger: Logger,
        clock: @escaping @Sendable () -> UnixNanos
    ) {
        self.root = root
        self.receivers = receivers
        self.externalURL = externalURL
        self.outbox = outbox
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.retention = delivery.retention.nanoseconds
        self.restoreGrace = delivery.restoreGrace.nanoseconds
        self.outboxRetry = .milliseconds(max(1, delivery.initialBackoff.milliseconds))
        self.forwarder = AlertmanagerForwarder(receivers: receivers, outbox: outbox, logger: logger, clock: clock)
    }

    // MARK: Input

    /// Routes each alert and adds it to its groups (or forwards it to an Alertmanager).
    func receive(_ alerts: [NotifyAlert]) {
        guard !stopped else { return }
        let now = clock()
        metrics.update { $0.alertsReceived += alerts.count }
        var forAlertmanagers: [String: [NotifyAlert]] = [:]
        for alert in alerts {
            for route in root.match(alert.labels) {
                guard let receiver = receivers[route.receiver] else { continue }
                if receiver.alertmanager != nil {
                    forAlertmanagers[route.receiver, default: []].append(alert)
                    continue
                }
                insert(alert, route: route, now: now)
            }
        }
        for (name, list) in forAlertmanagers.sorted(by: { $0.key < $1.key }) {
            forwarder.forward(list, to: name)
        }
        let groupCount = groups.count
        metrics.update { $0.aggregationGroups = groupCount }
    }

    private func insert(_ alert: NotifyAlert, route: Route, now: UnixNanos) {
        let labels = route.groupLabels(of: alert.labels)
        let id = GroupID(routeID: route.id, groupKey: route.groupKey(groupLabels: labels))
        let group: AggregationGroup
        if let existing = groups[id] {
            group = existing
        } else {
            group = AggregationGroup(route: route, groupLabels: labels)
            groups[id] = group
            schedule(group, after: route.groupWait)
        }
        if group.insert(alert, now: now) { persist(group) }
        // Alertmanager flushes at once when the alert is older than group_wait.
        if !group.hasFlushed && alert.startsAt + route.groupWait.nanoseconds < now {
            schedule(group, after: .zero)
        }
    }

    // MARK: Timers

    private func schedule(_ group: AggregationGroup, after delay: Duration) {
        group.timer?.cancel()
        timerGeneration += 1
        let generation = timerGeneration
        group.timerGeneration = generation
        let id = group.id
        group.timer = Task { [weak self] in
            if delay > .zero {
                do { try await Task.sleep(for: delay) } catch { return }
            }
            await self?.timerFired(id, generation: generation)
        }
    }

    private func timerFired(_ id: GroupID, generation: Int) {
        guard !stopped, let group = groups[id], group.timerGeneration == generation else { return }
        group.hasFlushed = true
        // Re-armed before flushing, as Alertmanager does, so intervals do not drift.
        schedule(group, after: group.route.groupInterval)
        flush(group)
    }

    // MARK: Flush

    /// One flush: decide, commit the notification to the outbox, record it, drop resolved alerts.
    private func flush(_ group: AggregationGroup) {
        let now = clock()
        let (alerts, firing, resolved) = group.snapshot(now: now)
        guard !alerts.isEmpty else { return }
        guard let webhook = receivers[group.route.receiver]?.webhook else { return }
        let previous = log[group.id]
        var changed = false
        if NotificationLogEntry.needsUpdate(
            previous?.entry, firing: firing, resolved: resolved, sendResolved: webhook.sendResolved,
            repeatInterval: group.route.repeatInterval, now: now)
        {
            let entry = NotificationLogEntry(firing: firing, resolved: resolved, timestamp: now)
            let toSend = webhook.sendResolved ? alerts : alerts.filter { !$0.isResolved(at: now) }
            var recordCreatedAt = previous?.recordCreatedAt ?? 0
            if !toSend.isEmpty {
                let body = WebhookMessage.encode(
                    receiver: group.route.receiver, groupKey: group.groupKey, groupLabels: group.groupLabels,
                    alerts: toSend, externalURL: externalURL, maxAlerts: webhook.maxAlerts, now: now)
                let (fileName, id) = outbox.newIdentity(now: now)
                // One attempt; delivery is decoupled from the group's flushes, so unlike
                // Alertmanager the timeout is not capped by group_interval.
                let configured = webhook.endpoint.timeout?.milliseconds ?? 0
                let attemptTimeout: Int64 = configured > 0 ? configured : 10_000
                let record = OutboxRecord(
                    id: id, fileName: fileName, createdAt: now, kind: .webhook, receiver: group.route.receiver,
                    lane: group.route.receiver + "\u{0}" + group.groupKey, groupKey: group.groupKey,
                    status: firing.isEmpty ? "resolved" : "firing", body: String(decoding: body, as: UTF8.self),
                    alerts: [], routeID: group.route.id,
                    groupLabels: Dictionary(uniqueKeysWithValues: group.groupLabels.map { ($0.name, $0.value) }),
                    groupFile: group.stateFile, entry: entry, resolvedSent: resolved.sorted(),
                    timeoutMilliseconds: attemptTimeout)
                do {
                    try outbox.append(record)
                } catch {
                    // Nothing recorded or sent: the group flushes again soon (backing off up
                    // to group_interval) and produces the notification with fresh content.
                    let retryIn = min(outboxRetry * (1 << min(group.outboxFailures, 20)), group.route.groupInterval)
                    group.outboxFailures += 1
                    logger.error(
                        "notify: cannot write to the outbox; the notification is retried",
                        metadata: ["groupKey": "\(group.groupKey)", "error": "\(error)", "retryIn": "\(retryIn)"])
                    schedule(group, after: retryIn)
                    return
                }
                group.outboxFailures = 0
                recordCreatedAt = now
            }
            log[group.id] = (entry, recordCreatedAt)
            changed = true
        }
        // Resolved alerts were notified (or did not need to be): forget them.
        for fp in resolved { group.alerts[fp] = nil; changed = true }
        if group.alerts.isEmpty {
            group.timer?.cancel()
            groups[group.id] = nil
            let groupCount = groups.count
        metrics.update { $0.aggregationGroups = groupCount }
        }
        if changed { persist(group) }
    }

    private func persist(_ group: AggregationGroup) {
        let logged = log[group.id]
        do {
            try store.save(group.persisted(entry: logged?.entry, lastRecordCreatedAt: logged?.recordCreatedAt ?? 0))
        } catch {
            logger.error("notify: cannot persist group state", metadata: ["groupKey": "\(group.groupKey)", "error": "\(error)"])
        }
    }

    // MARK: Restart

    /// Restores groups and the notification log from disk, rolling the log forward from
    /// outbox records written just before a crash, queues those records for delivery
    /// again, then resumes the timers.
    func restore(pending: [OutboxRecord]) {
        let now = clock()
        // Queued before any restored timer can add newer notifications to the same lanes.
        outbox.enqueue(pending)
        let loaded = store.loadAll()
        var persisted = loaded.groups
        for name in loaded.unreadable { logger.error("notify: unreadable group state, ignored", metadata: ["file": "\(name)"]) }
        var byFile: [String: Int] = [:]
        for (i, g) in persisted.enumerated() {
            byFile[GroupStateStore.fileName(routeID: g.routeID, receiver: g.receiver, groupKey: g.groupKey)] = i
        }
        for record in pending where record.kind == .webhook {
            guard let file = record.groupFile, let entry = record.entry else { continue }
            if byFile[file] == nil {
                persisted.append(
                    PersistedGroup(
                        routeID: record.routeID, receiver: record.receiver, groupKey: record.groupKey,
                        groupLabels: record.groupLabels, alerts: [], entry: nil, lastRecordCreatedAt: 0))
                byFile[file] = persisted.count - 1
            }
            let i = byFile[file]!
            guard record.createdAt > persisted[i].lastRecordCreatedAt else { continue }
            persisted[i].entry = entry
            persisted[i].lastRecordCreatedAt = record.createdAt
            let sent = Set(record.resolvedSent)
            persisted[i].alerts.removeAll { sent.contains($0.fingerprint) && $0.isResolved(at: record.createdAt) }
            try? store.save(persisted[i])
        }

        let routes = Dictionary(root.allRoutes.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for g in persisted {
            let labels = Labels(g.groupLabels)
            guard let route = routes[g.routeID], route.receiver == g.receiver,
                route.groupKey(groupLabels: labels) == g.groupKey
            else {
                // The routing tree changed: this group no longer exists.
                try? store.delete(routeID: g.routeID, receiver: g.receiver, groupKey: g.groupKey)
                continue
            }
            let id = GroupID(routeID: g.routeID, groupKey: g.groupKey)
            if let entry = g.entry {
                if g.alerts.isEmpty && entry.timestamp < now - retention {
                    try? store.delete(routeID: g.routeID, receiver: g.receiver, groupKey: g.groupKey)
                    continue
                }
                log[id] = (entry, g.lastRecordCreatedAt)
            }
            guard !g.alerts.isEmpty else { continue }
            let group = AggregationGroup(route: route, groupLabels: labels)
            for var alert in g.alerts {
                // The rule engine refreshes firing alerts; give it time to do so after the restart.
                if alert.status == .firing, let ends = alert.endsAt { alert.endsAt = max(ends, now + restoreGrace) }
                group.alerts[alert.fingerprint] = AggregationGroup.StoredAlert(alert: alert, updatedAt: now)
            }
            groups[id] = group
            let earliest = g.alerts.map(\.startsAt).min() ?? now
            let wait = max(0, earliest + route.groupWait.nanoseconds - now)
            schedule(group, after: .nanoseconds(wait))
        }
        let groupCount = groups.count
        metrics.update { $0.aggregationGroups = groupCount }
    }

    /// Forgets notification-log entries of empty groups older than the retention.
    func collectGarbage() {
        let now = clock()
        for (id, logged) in log where groups[id] == nil && logged.entry.timestamp < now - retention {
            log[id] = nil
            if let route = root.allRoutes.first(where: { $0.id == id.routeID }) {
                try? store.delete(routeID: id.routeID, receiver: route.receiver, groupKey: id.groupKey)
            }
        }
    }

    /// Re-posts firing alerts to Alertmanagers that have not heard of them for a resend interval.
    func resendToAlertmanagers() {
        guard !stopped else { return }
        forwarder.resendStale()
    }

    /// Stops all timers without flushing; state on disk stays as it is.
    func stop() {
        stopped = true
        for g in groups.values { g.timer?.cancel() }
    }

    var groupKeys: [String] { groups.values.map(\.groupKey).sorted() }
}
