import ArgumentParser
import Foundation
import KansokuServer
import Logging

/// Options every process that runs a server shares.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (every key optional; embedded defaults otherwise).")
    var config: String?

    @Option(name: .long, help: "Data directory (overrides storage.path).")
    var dataDir: String?

    @Option(name: .long, help: "Address to listen on, host:port (overrides server.listen).")
    var listen: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func load() throws -> KansokuConfig {
        var config: KansokuConfig
        do {
            config = try self.config.map { try KansokuConfig.load(path: $0) } ?? KansokuConfig()
        } catch let e as ConfigError {
            throw CommandFailure(e.description, code: 2)
        }
        if let dataDir { config.storage.path = dataDir }
        if let listen { config.server.listen = listen }
        return config
    }

    func logger(_ label: String) -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { name in
            var h = StreamLogHandler.standardError(label: name)
            h.logLevel = level
            return h
        }
        return Logger(label: label)
    }
}

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the server: ingest, storage, rules, notifications and the HTTP API.",
        discussion: "Stops gracefully on SIGINT or SIGTERM, flushing heads and syncing data."
    )

    @OptionGroup var options: ServerOptions

    @Flag(name: .long, help: "Check the configuration and the rule files it names, print what is wrong, and exit (0 valid, 2 not).")
    var check = false

    @Option(name: .long, help: "all: everything on local disk (default); ingester: also ship sealed log chunks and indexes to storage.object_store; querier: answer log queries from that bucket and cluster.ingesters.")
    var target: String = "all"

    func validate() throws {
        guard ServerTarget(rawValue: target) != nil else {
            throw ValidationError("--target must be one of: \(ServerTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var config = try options.load()
        config.target = ServerTarget(rawValue: target) ?? .all
        if check {
            let problems = config.problems()
            guard problems.isEmpty else { throw CommandFailure(problems.joined(separator: "\n"), code: 2) }
            print("\(options.config ?? "embedded defaults"): ok")
            return
        }
        let logger = options.logger("kansoku")
        do {
            try await KansokuServerApp(config: config, logger: logger).run()
        } catch let e as ConfigError {
            throw CommandFailure(e.description, code: 2)
        }
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a server on a simulated video-streaming service with incidents, and open the dashboard.",
        discussion: """
        The service writes nginx access logs and application logs and exposes Prometheus metrics;
        SLOs cover both; every few minutes an incident burns the error budget and pages a local
        webhook. Press ? in the dashboard for keys, q to quit (the demo stops with it).
        """
    )

    @OptionGroup var options: ServerOptions

    @Flag(name: .long, help: "Run without the dashboard (for scripts and tests); stop with Ctrl-C.")
    var noTui = false

    @Option(name: .long, help: "Seconds before the first incident.")
    var firstIncident: Double = 45

    @Option(name: .long, help: "Seconds between incidents.")
    var incidentEvery: Double = 600

    func run() async throws {
        var config = try options.load()
        if options.dataDir == nil { config.storage.path = "./data/demo" }
        let logger = options.logger("kansoku")
        let demo = DemoOptions(firstIncidentAfter: firstIncident, incidentEvery: incidentEvery, withDashboard: !noTui)
        var dashboard: (@Sendable (String) async throws -> Int32)?
        if !noTui { dashboard = { @Sendable addr in try await TUILauncher.run(addr: addr, dashboard: nil, tenant: nil) } }
        if !noTui {
            // The dashboard owns the terminal: the server's log goes to a file instead of stderr.
            try FileManager.default.createDirectory(atPath: config.storage.path, withIntermediateDirectories: true)
            let fd = open(config.storage.path + "/kansoku.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
            if fd >= 0 { dup2(fd, 2); close(fd) }
        }
        let code = try await KansokuDemo(config: config, options: demo, logger: logger).run(dashboard: dashboard)
        if code != 0 { throw ExitCode(code) }
    }
}
