public import ServiceLifecycle

/// Runs a long-lived loop (tailer, scraper, rule evaluator, notifier) as a lifecycle service:
/// it starts with the server and is cancelled when graceful shutdown begins.
public struct TaskService: Service, CustomStringConvertible {
    public let description: String
    let body: @Sendable () async throws -> Void

    public init(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
        description = name
        self.body = body
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            do {
                try await body()
            } catch is CancellationError {
                // Shutdown: not a failure.
            }
        }
    }
}
