import KansokuCore
import Logging

/// Hands alerts to real Alertmanagers (`POST /api/v2/alerts`), which group and notify on
/// their own. Like Prometheus, it posts every change at once and re-posts firing alerts
/// every `resend_interval` with `endsAt` four intervals ahead, so an Alertmanager that
/// stops hearing from us resolves them by itself. Changes go through the outbox, so an
/// Alertmanager outage or a restart loses none. Confined to the dispatcher actor.
final class AlertmanagerForwarder {
    private struct Known {
        var alert: NotifyAlert
        var lastQueued: UnixNanos
    }

    private let receivers: [String: ReceiverConfig]
    private let outbox: Outbox
    private let logger: Logger
    private let clock: @Sendable () -> UnixNanos
    private var known: [String: [AlertFingerprint: Known]] = [:]
    /// Changes whose outbox record could not be written (disk full or failing), per receiver:
    /// posted with the next change or resend tick instead of being lost.
    private var unwritten: [String: [AlertFingerprint: NotifyAlert]] = [:]

    init(receivers: [String: ReceiverConfig], outbox: Outbox, logger: Logger, clock: @escaping @Sendable () -> UnixNanos) {
        self.receivers = receivers
        self.outbox = outbox
        self.logger = logger
        self.clock = clock
    }

    /// The smallest resend interval over all Alertmanager receivers, if there are any.
    static func resendTick(_ receivers: [String: ReceiverConfig]) -> Duration? {
        receivers.values.compactMap { $0.alertmanager?.resendInterval.milliseconds }.min().map { .milliseconds($0) }
    }

    func forward(_ alerts: [NotifyAlert], to receiver: String) {
        guard let config = receivers[receiver]?.alertmanager else { return }
        let now = clock()
        var unique: [AlertFingerprint: NotifyAlert] = [:]
        for a in alerts { unique[a.fingerprint] = a }
        var retry = unwritten.removeValue(forKey: receiver) ?? [:]
        var toPost: [NotifyAlert] = []
        for (fp, alert) in unique {
            let old = known[receiver]?[fp]
            let resolved = alert.isResolved(at: now)
            // An unwritten earlier change goes out now, in its newest state.
            let changed = retry.removeValue(forKey: fp) != nil
                || old == nil || old!.alert.isResolved(at: now) != resolved
                || old!.alert.annotations != alert.annotations
                || now - old!.lastQueued >= config.resendInterval.milliseconds * 1_000_000
            if resolved {
                known[receiver]?[fp] = nil
            } else {
                known[receiver, default: [:]][fp] = Known(alert: alert, lastQueued: changed ? now : old!.lastQueued)
            }
            if changed { toPost.append(alert) }
        }
        post(toPost + retry.values, to: receiver, config: config, now: now)
    }

    /// Re-posts firing alerts not posted for a resend interval, unless earlier posts are
    /// still waiting in the outbox (they will carry fresh `endsAt` when they go out).
    func resendStale() {
        let now = clock()
        for (receiver, alerts) in unwritten {
            guard let config = receivers[receiver]?.alertmanager else { continue }
            unwritten[receiver] = nil
            post(Array(alerts.values), to: receiver, config: config, now: now)
        }
        for (receiver, alerts) in known {
            guard let config = receivers[receiver]?.alertmanager, !outbox.hasPending(lane: lane(receiver)) else { continue }
            let interval = config.resendInterval.milliseconds * 1_000_000
            var stale: [NotifyAlert] = []
            for (fp, k) in alerts where now - k.lastQueued >= interval {
                if k.alert.isResolved(at: now) {
                    known[receiver]?[fp] = nil
                } else {
                    known[receiver]?[fp]?.lastQueued = now
                }
                stale.append(k.alert)
            }
            post(stale, to: receiver, config: config, now: now)
        }
    }

    private func lane(_ receiver: String) -> String { receiver + "\u{0}alertmanager" }

    private func post(_ alerts: [NotifyAlert], to receiver: String, config: AlertmanagerConfig, now: UnixNanos) {
        guard !alerts.isEmpty else { return }
        let sorted = alerts.sortedAlertmanagerStyle()
        let (fileName, id) = outbox.newIdentity(now: now)
        let timeout = config.endpoint.timeout.map { $0.milliseconds } ?? 0
        let record = OutboxRecord(
            id: id, fileName: fileName, createdAt: now, kind: .alertmanager, receiver: receiver,
            lane: lane(receiver), groupKey: "", status: sorted.contains { !$0.isResolved(at: now) } ? "firing" : "resolved",
            body: "", alerts: sorted, routeID: "", groupLabels: [:], groupFile: nil, entry: nil, resolvedSent: [],
            timeoutMilliseconds: timeout > 0 ? timeout : 10_000)
        do {
            try outbox.append(record)
        } catch {
            for a in alerts where unwritten[receiver]?[a.fingerprint] == nil { unwritten[receiver, default: [:]][a.fingerprint] = a }
            logger.error("notify: cannot write to the outbox; the alerts are posted again on the next tick",
                         metadata: ["receiver": "\(receiver)", "error": "\(error)"])
        }
    }
}
