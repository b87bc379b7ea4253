public import AsyncHTTPClient
public import KansokuCore
public import Logging
import Synchronization

/// Notification delivery, ready to use: routes alerts, groups them, sends Alertmanager
/// webhook bodies or posts to Alertmanagers, retries with backoff, and keeps everything
/// it still owes in `directory` so restarts and receiver outages lose nothing.
///
/// Delivery guarantee, by where a crash (kill -9, power loss) can strike:
/// 1. While an alert update is handled: a state change (new alert, firing ↔ resolved,
///    new annotations) is in the group's file before `send` returns; a mere refresh of a
///    firing alert is not, and restored firing alerts get `restore_grace` before their
///    stale `endsAt` counts.
/// 2. During a flush, before the notification's outbox record is durable: nothing was
///    sent or logged; after the restart the group flushes again and produces it then.
/// 3. After the record is durable, before the group's file logs it: on start the
///    notification log is rolled forward from the record, so it is not produced twice.
/// 4. While the record is being delivered, before the receiver accepted it: it is sent
///    again after the restart (the receiver has it once).
/// 5. After the receiver answered 2xx, before the record's removal reached the disk: the
///    only window that yields a second delivery — the same body with the same
///    `Idempotency-Key` header, so a receiver that remembers recent keys still sees one.
///    It spans reading the response, one `unlink` and one directory fsync. (An attempt
///    whose response is lost to a timeout is the same case without a crash.)
/// Hence no notification is lost (short of a 4xx refusal or `max_age`), none is produced
/// twice, and a receiver gets one twice only through window 5. (A group does get a second
/// notification of the same status when Alertmanager would send one: new alerts in the
/// group, or `repeat_interval` elapsed.)
///
/// ```swift
/// let notifier = try Notifier(config: config, directory: dataDir + "/notify")
/// await notifier.start()
/// await notifier.send(alerts)   // every evaluation's alert updates
/// ```
public final class Notifier: Sendable {
    private let dispatcher: Dispatcher
    private let outbox: Outbox
    private let recorder: NotifyMetricsRecorder
    private let resendTick: Duration?
    private let background: Mutex<[Task<Void, Never>]> = Mutex([])

    /// Compiles the configuration and opens the state directory; `start()` begins work.
    public convenience init(
        config: NotifyConfig, directory: String, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "kansoku.notify"),
        clock: @escaping @Sendable () -> UnixNanos = { TimeParser.currentNanos() }
    ) throws {
        try self.init(config: config, directory: directory, httpClient: httpClient, logger: logger, clock: clock, outboxFaults: nil)
    }

    /// As above; `outboxFaults` makes outbox writes fail on demand (tests of full or failing
    /// disks), nil in real use.
    public init(
        config: NotifyConfig, directory: String, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "kansoku.notify"),
        clock: @escaping @Sendable () -> UnixNanos = { TimeParser.currentNanos() },
        outboxFaults: DiskFaults?
    ) throws {
        var receivers: [String: ReceiverConfig] = [:]
        guard !config.receivers.isEmpty else { throw NotifyConfigError.noReceivers }
        for r in config.receivers {
            guard receivers[r.name] == nil else { throw NotifyConfigError.duplicateReceiver(r.name) }
            switch (r.webhook, r.alertmanager) {
            case (nil, nil): throw NotifyConfigError.receiverWithoutTarget(r.name)
            case (.some, .some): throw NotifyConfigError.receiverWithTwoTargets(r.name)
            default: receivers[r.name] = r
            }
        }
        let routeConfig = config.route ?? RouteConfig(receiver: config.receivers[0].name)
        let root = try Route.compile(routeConfig, receivers: Set(receivers.keys))
        recorder = NotifyMetricsRecorder()
        recorder.update { m in for name in receivers.keys { m.receivers[name] = .init() } }
        let sender = NotificationSender(client: httpClient, receivers: receivers)
        outbox = try Outbox(
            directory: directory, sender: sender,
            retry: RetryPolicy(
                initial: .milliseconds(config.delivery.initialBackoff.milliseconds),
                maximum: .milliseconds(config.delivery.maxBackoff.milliseconds)),
            maxAge: .milliseconds(config.delivery.maxAge.milliseconds), metrics: recorder, logger: logger,
            clock: clock, faults: outboxFaults)
        let store = try GroupStateStore(directory: directory)
        dispatcher = Dispatcher(
            root: root, receivers: receivers, externalURL: config.externalURL, outbox: outbox, store: store,
            delivery: config.delivery, metrics: recorder, logger: logger, clock: clock)
        resendTick = AlertmanagerForwarder.resendTick(receivers)
    }

    /// Restores groups and the notification log, re-sends what the outbox still holds and
    /// starts the timers.
    public func start() async {
        let pending = outbox.loadPending()
        await dispatcher.restore(pending: pending)
        let dispatcher = self.dispatcher
        let resendTick = self.resendTick
        let maintenance = Task {
            var sinceGC: Duration = .zero
            let tick = min(resendTick ?? .seconds(60), .seconds(60))
            while !Task.isCancelled {
                do { try await Task.sleep(for: tick) } catch { return }
                if resendTick != nil { await dispatcher.resendToAlertmanagers() }
                sinceGC += tick
                if sinceGC >= .seconds(600) {
                    sinceGC = .zero
                    await dispatcher.collectGarbage()
                }
            }
        }
        background.withLock { $0.append(maintenance) }
    }

    /// Hands alert updates over; returns once they are routed (and persisted where needed).
    public func send(_ alerts: [NotifyAlert]) async {
        await dispatcher.receive(alerts)
    }

    /// Stops timers and delivery. Nothing is flushed: undelivered notifications and group
    /// state stay on disk and are resumed by the next `start()`.
    public func shutdown() async {
        let tasks = background.withLock { t -> [Task<Void, Never>] in defer { t = [] }; return t }
        for t in tasks { t.cancel() }
        await dispatcher.stop()
        await outbox.close()
    }

    /// Delivery counters and the outbox depth, for `/metrics`.
    public var metrics: NotifyMetrics { recorder.snapshot }

    /// Group keys of the aggregation groups currently held.
    public var groupKeys: [String] { get async { await dispatcher.groupKeys } }
}
