import AsyncHTTPClient
public import KansokuIngest
public import Logging

/// Runs every `metrics.remote_write` queue over one HTTP client; a queue that fails (its
/// position file cannot be written, the WAL cannot be read) is restarted from its last
/// acknowledged position after a pause, the others go on.
public final class RemoteWriteManager: Sendable {
    public let configs: [RemoteWriteConfig]
    let metricsDirectory: String
    let stateDirectory: String
    let logger: Logger
    let metadata: @Sendable () -> [RemoteWriteMetadata]

    /// Validates every entry; queue names must be unique, since they name the position files.
    /// `metadata` lists the scrapes' metric metadata, which queues send on their own schedule.
    public init(configs: [RemoteWriteConfig], metricsDirectory: String, stateDirectory: String, logger: Logger,
                metadata: @escaping @Sendable () -> [RemoteWriteMetadata] = { [] }) throws(RemoteWriteConfigError) {
        var names: Set<String> = []
        for c in configs {
            try c.validate()
            guard names.insert(c.queueName).inserted else {
                throw .invalid("two entries share the queue name \"\(c.queueName)\": give them distinct names")
            }
        }
        self.configs = configs
        self.metricsDirectory = metricsDirectory
        self.stateDirectory = stateDirectory
        self.logger = logger
        self.metadata = metadata
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        let widest = configs.map(\.queue.maxShards).max() ?? 1
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: widest)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        await withTaskGroup(of: Void.self) { group in
            for c in configs {
                let queue = RemoteWriteQueue(config: c, metricsDirectory: metricsDirectory, stateDirectory: stateDirectory,
                                             httpClient: client, logger: logger)
                group.addTask { [metadata] in await queue.runMetadata(metadata) }
                group.addTask { [logger] in
                    while !Task.isCancelled {
                        do { try await queue.run() } catch is CancellationError { return } catch {
                            if Task.isCancelled { return }
                            logger.error("remote write queue failed; restarting from its last acknowledged position",
                                         metadata: ["queue": "\(c.queueName)", "error": "\(error)"])
                            try? await Task.sleep(for: .seconds(5))
                        }
                    }
                }
            }
        }
        try? await client.shutdown()
    }
}
