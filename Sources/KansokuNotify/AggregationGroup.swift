import KansokuCore

/// Identifies an aggregation group: the route it belongs to and its group key.
struct GroupID: Hashable, Sendable {
    var routeID: String
    var groupKey: String
}

/// Alerts of one route that share group labels, flushed together (Alertmanager's
/// `aggrGroup`). Owned by the dispatcher actor.
final class AggregationGroup {
    struct StoredAlert {
        var alert: NotifyAlert
        var updatedAt: UnixNanos
    }

    let route: Route
    let groupLabels: Labels
    let groupKey: String
    var alerts: [AlertFingerprint: StoredAlert] = [:]
    /// False until the first flush: until then an alert older than group_wait flushes at once.
    var hasFlushed = false
    var timer: Task<Void, Never>?
    var timerGeneration = 0
    /// Flushes in a row whose notification could not be written to the outbox (retry backoff).
    var outboxFailures = 0
    /// The group's file in the state store.
    var stateFile: String { GroupStateStore.fileName(routeID: route.id, receiver: route.receiver, groupKey: groupKey) }

    init(route: Route, groupLabels: Labels) {
        self.route = route
        self.groupLabels = groupLabels
        self.groupKey = route.groupKey(groupLabels: groupLabels)
    }

    var id: GroupID { GroupID(routeID: route.id, groupKey: groupKey) }

    /// Adds or updates an alert (Alertmanager's merge: a still-active alert keeps its
    /// earliest start). Returns whether anything worth persisting changed.
    @discardableResult
    func insert(_ alert: NotifyAlert, now: UnixNanos) -> Bool {
        let fp = alert.fingerprint
        var merged = alert
        let old = alerts[fp]
        if let old, !old.alert.isResolved(at: now), old.alert.startsAt < alert.startsAt {
            merged.startsAt = old.alert.startsAt
        }
        alerts[fp] = StoredAlert(alert: merged, updatedAt: now)
        guard let old else { return true }
        return old.alert.status != merged.status || old.alert.isResolved(at: now) != merged.isResolved(at: now)
            || old.alert.annotations != merged.annotations || old.alert.startsAt != merged.startsAt
            || old.alert.generatorURL != merged.generatorURL
    }

    /// The alerts as a flush at `now` sees them, in Alertmanager's order.
    func snapshot(now: UnixNanos) -> (alerts: [NotifyAlert], firing: Set<AlertFingerprint>, resolved: Set<AlertFingerprint>) {
        let list = alerts.values.map(\.alert).sortedAlertmanagerStyle()
        var firing = Set<AlertFingerprint>(), resolved = Set<AlertFingerprint>()
        for a in list {
            if a.isResolved(at: now) { resolved.insert(a.fingerprint) } else { firing.insert(a.fingerprint) }
        }
        return (list, firing, resolved)
    }

    func persisted(entry: NotificationLogEntry?, lastRecordCreatedAt: UnixNanos) -> PersistedGroup {
        PersistedGroup(
            routeID: route.id, receiver: route.receiver, groupKey: groupKey,
            groupLabels: Dictionary(uniqueKeysWithValues: groupLabels.map { ($0.name, $0.value) }),
            alerts: alerts.values.map(\.alert).sortedAlertmanagerStyle(), entry: entry,
            lastRecordCreatedAt: lastRecordCreatedAt)
    }
}
