import Hummingbird
import HummingbirdWebSocket
import KansokuCore
import KansokuLogQL
import KansokuLogStore
import KansokuMetricStore
import KansokuPromQL
public import Logging
import ServiceLifecycle
import Synchronization

/// The whole server: stores, engines, background loops (tailing, scraping, rules,
/// notifications) and the HTTP API, run as one service group that shuts down gracefully on
/// SIGINT/SIGTERM — HTTP first, then the loops, and the stores last so every acknowledged
/// write is flushed.
public final class KansokuServerApp: Sendable {
    public let config: KansokuConfig
    let logger: Logger
    private let group = Mutex<ServiceGroup?>(nil)

    public init(config: KansokuConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs until a signal or `shutdown()`; `onReady` is called once the port is bound.
    public func run(onReady: (@Sendable (Int) async -> Void)? = nil) async throws {
        let (host, port) = try config.server.hostAndPort()
        MemoryTuning.returnLargeBuffersToTheSystem()
        let core = try await ServerCore.open(config: config, logger: logger)
        let router = Router(context: KansokuRequestContext.self)
        router.add(middleware: AccessMiddleware(bearerToken: try core.bearerToken(), tenancy: config.server.tenancy,
                                               maxRequestBytes: config.server.maxRequestBytes,
                                               tenants: try core.tenantAuthenticator()))
        router.add(middleware: ClientConnectionMiddleware())
        core.registerRoutes(on: router)
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(webSocketRouter: router,
                                           configuration: .init(http1: .init(additionalChannelHandlers: [ClientConnectionWatcher()]))),
            configuration: .init(address: .hostname(host, port: port), serverName: "kansoku"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                self.logger.info("listening", metadata: ["address": "\(host):\(bound)", "data": "\(self.config.storage.path)"])
                await onReady?(bound)
            },
            logger: logger
        )
        // Shut down in reverse order: the HTTP server first, then the loops feeding the stores.
        let services: [any Service] = core.backgroundServices() + [app]
        let serviceGroup = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        group.withLock { $0 = serviceGroup }
        do {
            try await serviceGroup.run()
        } catch {
            logger.error("server stopped with an error", metadata: ["error": "\(error)"])
            try await core.close()
            throw error
        }
        try await core.close()
        logger.info("stopped cleanly")
    }

    /// Begins a graceful shutdown, as SIGTERM would.
    public func shutdown() async {
        let g = group.withLock { $0 }
        await g?.triggerGracefulShutdown()
    }
}
