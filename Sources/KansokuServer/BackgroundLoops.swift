import Foundation
import KansokuCore
import KansokuIngest
import KansokuLogQL
import KansokuLogStore
import KansokuMetricStore
import KansokuNotify
import KansokuRemoteWrite
import Logging
import ServiceLifecycle

/// The loops that run beside the HTTP API: file tailing, scraping, rule and SLO evaluation,
/// and notification delivery. Each is present only when configured.
final class BackgroundLoops: Sendable {
    let tail: TailService?
    let notifier: Notifier?
    let rules: RulesRuntime?
    let scrape: ScrapeRuntime?
    let remoteWrite: RemoteWriteManager?
    let logger: Logger

    var rulesAPI: RulesAPIProvider? { rules.map { RulesAPIProvider(runtime: $0) } }

    private init(tail: TailService?, notifier: Notifier?, rules: RulesRuntime?, scrape: ScrapeRuntime?,
                 remoteWrite: RemoteWriteManager?, logger: Logger) {
        self.tail = tail
        self.notifier = notifier
        self.rules = rules
        self.scrape = scrape
        self.remoteWrite = remoteWrite
        self.logger = logger
    }

    static func make(config: KansokuConfig, logStore: LogStore, logQL: LogQLEngine, metricStore: MetricStore, metrics: ServerMetrics,
                     logger: Logger) async throws -> BackgroundLoops {
        let root = config.storage.path
        var tail: TailService?
        if !(config.logs.targets ?? []).isEmpty {
            do {
                tail = try TailService(config: config.logs, dataDirectory: root + "/ingest", sink: logStore,
                                       logger: Logger(label: "kansoku.ingest"))
            } catch {
                throw ConfigError.invalid(key: "logs", reason: "\(error)")
            }
        }
        var notifier: Notifier?
        if let n = config.notify {
            do { notifier = try Notifier(config: n, directory: root + "/notify", logger: Logger(label: "kansoku.notify")) } catch {
                throw ConfigError.invalid(key: "notify", reason: "\(error)")
            }
            await notifier?.start()
        }
        let rules = try RulesRuntime.make(config: config, logQL: logQL, metricStore: metricStore, notifier: notifier, logger: logger)
        let scrape = try ScrapeRuntime.make(config: config, metricStore: metricStore, logger: logger)
        var remoteWrite: RemoteWriteManager?
        if !config.remoteWrite.isEmpty {
            do {
                let board = scrape?.manager.metadata
                remoteWrite = try RemoteWriteManager(configs: config.remoteWrite, metricsDirectory: root + "/metrics",
                                                     stateDirectory: root + "/remote_write",
                                                     logger: Logger(label: "kansoku.remote_write")) {
                    board.map { RemoteWriteMetadata.fromScrapes($0.all()) } ?? []
                }
            } catch {
                throw ConfigError.invalid(key: "metrics.remote_write", reason: "\(error)")
            }
        }
        return BackgroundLoops(tail: tail, notifier: notifier, rules: rules, scrape: scrape, remoteWrite: remoteWrite,
                               logger: logger)
    }

    func services() -> [any Service] {
        var out: [any Service] = []
        if let tail { out.append(TaskService("tail") { await tail.run() }) }
        if let scrape { out.append(TaskService("scrape") { try await scrape.run() }) }
        if let rules { out.append(TaskService("rules") { try await rules.run() }) }
        if let remoteWrite { out.append(TaskService("remote-write") { try await remoteWrite.run() }) }
        return out
    }

    /// Stops what runs outside the service group (the notifier's timers); its outbox stays on disk.
    func shutdown() async {
        await notifier?.shutdown()
    }

    /// Metrics of the loops, in the text format.
    func renderMetrics() async -> String {
        var out = ""
        if let notifier { out += notifier.metrics.prometheusText }
        if let scrape { out += scrape.renderMetrics() }
        if let rules { out += await rules.renderMetrics() }
        return out
    }
}
