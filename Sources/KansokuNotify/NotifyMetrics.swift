import Synchronization

/// Counters of notification delivery, per receiver, for the server's `/metrics`.
public struct NotifyMetrics: Sendable, Hashable {
    public struct Receiver: Sendable, Hashable {
        /// Notifications delivered (a 2xx answer).
        public var sent: Int = 0
        /// Notifications given up on (a 4xx answer other than 429, or `max_age` exceeded).
        public var failed: Int = 0
        /// Attempts that failed and were retried.
        public var retried: Int = 0
    }

    public var receivers: [String: Receiver] = [:]
    /// Notifications on disk waiting for delivery.
    public var outboxDepth: Int = 0
    /// Outbox records that could not be made durable (disk full or failing): each one's
    /// notification was not accepted and is produced again later.
    public var outboxWriteFailures: Int = 0
    /// Alert updates received from the rule engine.
    public var alertsReceived: Int = 0
    /// Aggregation groups currently held.
    public var aggregationGroups: Int = 0

    /// The counters in Prometheus text format (names follow Alertmanager's
    /// `alertmanager_notifications_total` family).
    public var prometheusText: String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        let names = receivers.keys.sorted()
        family("kansoku_notify_notifications_total", "counter", "Notifications delivered, by receiver.")
        for n in names { out += "kansoku_notify_notifications_total{receiver=\(goQuotedLabel(n))} \(receivers[n]!.sent)\n" }
        family("kansoku_notify_notifications_failed_total", "counter", "Notifications given up on, by receiver.")
        for n in names { out += "kansoku_notify_notifications_failed_total{receiver=\(goQuotedLabel(n))} \(receivers[n]!.failed)\n" }
        family("kansoku_notify_notification_retries_total", "counter", "Delivery attempts that failed and were retried.")
        for n in names { out += "kansoku_notify_notification_retries_total{receiver=\(goQuotedLabel(n))} \(receivers[n]!.retried)\n" }
        family("kansoku_notify_outbox_depth", "gauge", "Notifications waiting in the outbox.")
        out += "kansoku_notify_outbox_depth \(outboxDepth)\n"
        family("kansoku_notify_outbox_write_failures_total", "counter", "Outbox records that could not be made durable; their notifications are retried.")
        out += "kansoku_notify_outbox_write_failures_total \(outboxWriteFailures)\n"
        family("kansoku_notify_alerts_received_total", "counter", "Alert updates received.")
        out += "kansoku_notify_alerts_received_total \(alertsReceived)\n"
        family("kansoku_notify_aggregation_groups", "gauge", "Aggregation groups held.")
        out += "kansoku_notify_aggregation_groups \(aggregationGroups)\n"
        return out
    }

    private func goQuotedLabel(_ s: String) -> String {
        "\"" + s.replacingOccurrences("\\", "\\\\").replacingOccurrences("\"", "\\\"").replacingOccurrences("\n", "\\n") + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}

/// Thread-safe accumulation of `NotifyMetrics`.
final class NotifyMetricsRecorder: Sendable {
    private let state = Mutex(NotifyMetrics())

    func update(_ body: (inout NotifyMetrics) -> Void) { state.withLock { body(&$0) } }

    func receiver(_ name: String, _ body: (inout NotifyMetrics.Receiver) -> Void) {
        state.withLock { body(&$0.receivers[name, default: .init()]) }
    }

    var snapshot: NotifyMetrics { state.withLock { $0 } }
}
