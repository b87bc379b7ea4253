import KansokuCore

/// One notification waiting for delivery, as stored in `<dir>/outbox/`.
struct OutboxRecord: Codable, Sendable, Hashable {
    enum Kind: String, Codable, Sendable { case webhook, alertmanager }

    /// Unique, stable across retries and restarts; sent as the `Idempotency-Key` header so
    /// a receiver can drop the rare duplicate (see `Outbox`).
    var id: String
    /// File name; sorts in creation order.
    var fileName: String
    var createdAt: UnixNanos
    var kind: Kind
    var receiver: String
    /// Records of one lane are delivered strictly in order: one lane per receiver and group.
    var lane: String
    var groupKey: String
    /// `firing` or `resolved`: the status of the notification.
    var status: String
    /// Webhook: the rendered body.
    var body: String
    /// Alertmanager: the alerts to post (rendered at send time).
    var alerts: [NotifyAlert]
    /// The group this notification was produced for, and the notification-log entry it
    /// stands for: after a crash between writing this record and saving the group, the
    /// group is rolled forward from here, so the notification is not produced a second time.
    var routeID: String
    var groupLabels: [String: String]
    var groupFile: String?
    var entry: NotificationLogEntry?
    var resolvedSent: [AlertFingerprint]
    var timeoutMilliseconds: Int64
}
