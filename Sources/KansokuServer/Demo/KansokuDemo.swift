import Foundation
import Hummingbird
import KansokuCore
import KansokuIngest
import KansokuNotify
import KansokuScrape
public import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// What `kansoku demo` varies.
public struct DemoOptions: Sendable {
    public var firstIncidentAfter: Double
    public var incidentEvery: Double
    public var withDashboard: Bool
    public init(firstIncidentAfter: Double, incidentEvery: Double, withDashboard: Bool) {
        self.firstIncidentAfter = firstIncidentAfter
        self.incidentEvery = incidentEvery
        self.withDashboard = withDashboard
    }
}

/// `kansoku demo`: the simulated streaming service, a local webhook receiver, a server
/// configured to tail, scrape, evaluate SLOs and page that receiver, and the dashboard.
public struct KansokuDemo: Sendable {
    let config: KansokuConfig
    let options: DemoOptions
    let logger: Logger

    public init(config: KansokuConfig, options: DemoOptions, logger: Logger) {
        self.config = config
        self.options = options
        self.logger = logger
    }

    /// Runs until the dashboard is closed (or, without it, until SIGINT/SIGTERM). Returns the
    /// exit status.
    public func run(dashboard: (@Sendable (_ address: String) async throws -> Int32)?) async throws -> Int32 {
        let root = config.storage.path
        let serviceDir = root + "/service"
        let rulesDir = root + "/rules"
        try FileManager.default.createDirectory(atPath: rulesDir, withIntermediateDirectories: true)
        try DemoRules.slos.write(toFile: rulesDir + "/streaming-slos.yaml", atomically: true, encoding: .utf8)
        try DemoRules.alerts.write(toFile: rulesDir + "/streaming-alerts.yaml", atomically: true, encoding: .utf8)

        var workloadOptions = DemoWorkload.Options(directory: serviceDir)
        workloadOptions.firstIncidentAfter = options.firstIncidentAfter
        workloadOptions.incidentEvery = options.incidentEvery
        let workload = try DemoWorkload(options: workloadOptions)
        let receiver = DemoWebhookReceiver(logPath: root + "/webhook-notifications.jsonl")

        // The simulated service's own HTTP port: /metrics for scraping, /hook for pages.
        let servicePort = try await startServiceEndpoint(workload: workload, receiver: receiver)
        let serverConfig = try demoServerConfig(serviceDir: serviceDir, rulesDir: rulesDir, servicePort: servicePort)

        let server = KansokuServerApp(config: serverConfig, logger: logger)
        let ready = AsyncStream<Int>.makeStream()
        async let serverRun: Void = server.run { port in ready.continuation.yield(port); ready.continuation.finish() }
        let workloadTask = Task { try await workload.run() }
        var exitCode: Int32 = 0
        var port = 0
        for await p in ready.stream { port = p }
        if options.withDashboard, let dashboard, port > 0 {
            exitCode = try await dashboard("http://127.0.0.1:\(port)")
            await server.shutdown()
        } else if port > 0 {
            FileHandle.standardError.write(Data("""
            kansoku demo: server on http://127.0.0.1:\(port), simulated service on http://127.0.0.1:\(servicePort)
              logs:  \(serviceDir)/nginx/access.log, \(serviceDir)/streaming-api/app.log, \(serviceDir)/origin/origin.log
              pages: \(root)/webhook-notifications.jsonl
              first incident in \(Int(options.firstIncidentAfter))s, then every \(Int(options.incidentEvery))s; Ctrl-C stops.

            """.utf8))
        }
        try await serverRun
        workloadTask.cancel()
        return exitCode
    }

    func demoServerConfig(serviceDir: String, rulesDir: String, servicePort: Int) throws -> KansokuConfig {
        var c = config
        let yaml = """
        logs:
          targets:
            - paths: ["\(serviceDir)/nginx/*.log"]
              labels: { app: nginx, service: streaming, env: demo }
            - paths: ["\(serviceDir)/streaming-api/*.log"]
              labels: { app: streaming-api, service: streaming, env: demo }
              pipeline:
                - regex: '^(?P<time>\\S+) (?P<level>[A-Z]+) '
                - labels: [level]
                - timestamp: { source: time, format: RFC3339Nano }
            - paths: ["\(serviceDir)/origin/*.log"]
              labels: { app: origin, service: streaming, env: demo }
              pipeline:
                - regex: '^(?P<time>\\S+) (?P<level>[A-Z]+) '
                - labels: [level]
                - timestamp: { source: time, format: RFC3339Nano }
        metrics:
          scrape_interval: 5s
          targets:
            - { job: streaming, targets: ["127.0.0.1:\(servicePort)"], labels: { service: streaming } }
        rules: { files: ["\(rulesDir)/*.yaml"], interval: 10s }
        notify:
          receivers:
            - { name: oncall, webhook: { url: "http://127.0.0.1:\(servicePort)/hook" } }
          route: { receiver: oncall, group_by: [alertname, sloth_service], group_wait: 5s, group_interval: 1m, repeat_interval: 1h }
        """
        let demo = try KansokuConfig.parse(yaml, path: "embedded demo configuration")
        c.logs = demo.logs
        c.metrics = demo.metrics
        c.rules = demo.rules
        c.notify = demo.notify
        return c
    }

    /// Serves the simulated service's metrics and the webhook receiver on a free loopback port.
    func startServiceEndpoint(workload: DemoWorkload, receiver: DemoWebhookReceiver) async throws -> Int {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: workload.metricsPage())))
        }
        router.post("/hook") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 16 << 20)
            receiver.record(String(buffer: body))
            return Response(status: .ok)
        }
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? 0)
                                  continuation.finish()
                              }, logger: logger)
        Task { try await app.runService() }
        for await port in stream { return port }
        throw CocoaError(.featureUnsupported)
    }
}

/// Receives the demo's pages and appends each to a JSON-lines file (what an on-call tool would get).
final class DemoWebhookReceiver: Sendable {
    let logPath: String
    let count = Mutex(0)

    init(logPath: String) { self.logPath = logPath }

    func record(_ body: String) {
        count.withLock { $0 += 1 }
        let line = body.replacingOccurrences(of: "\n", with: " ") + "\n"
        if let f = FileHandle(forWritingAtPath: logPath) {
            f.seekToEndOfFile()
            f.write(Data(line.utf8))
            try? f.close()
        } else {
            try? line.write(toFile: logPath, atomically: false, encoding: .utf8)
        }
    }
}
