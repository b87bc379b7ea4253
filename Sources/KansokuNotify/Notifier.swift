public import AsyncHTTPClient
public import KansokuCore
public import Logging
import Synchronization

/// Notification delivery, ready to use: routes alerts, groups them, sends Alertmanager
/// webhook bodies or posts to Alertmanagers, retries with backoff, and keeps everything
/// it still owes in `directory` so restarts and receiver outages lose nothing.
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
    public init(
        config: NotifyConfig, directory: String, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "kansoku.notify"),
        clock: @escaping @Sendable () -> UnixNanos = { TimeParser.currentNanos() }
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
            clock: clock)
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
