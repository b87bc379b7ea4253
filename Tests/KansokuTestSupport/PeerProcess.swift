public import Foundation

/// A real peer (Prometheus, a Python exporter) started by a test on loopback and stopped by
/// PID, its output in a log file. Each test target adds its own `waitReady` over the HTTP
/// client it has.
public final class PeerProcess: @unchecked Sendable {
    public let process = Process()
    public let port: Int
    public let directory: URL
    public let output: URL

    public init(_ executable: String, _ arguments: [String], port: Int, directory: URL) throws {
        self.port = port
        self.directory = directory
        output = directory.appendingPathComponent("peer-\(port).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    public var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// SIGTERM by PID, then SIGKILL if it lingers.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    public enum PeerError: Error, CustomStringConvertible {
        case exited(String), notReady(String)
        public var description: String {
            switch self {
            case .exited(let log): "peer exited early:\n\(log)"
            case .notReady(let log): "peer not ready in time:\n\(log)"
            }
        }
    }

    /// A Prometheus server scraping `targets` (host:port) every second; nil when not installed.
    public static func prometheus(scraping targets: [String] = [], job: String = "kansoku") throws -> PeerProcess? {
        guard let bin = which("prometheus") else { return nil }
        let dir = URL(fileURLWithPath: ScratchDirectory.make("prometheus"))
        let port = freeLoopbackPort()
        let config = """
        global: { scrape_interval: 1s, evaluation_interval: 1s }
        scrape_configs:
          - job_name: \(job)
            static_configs: [ { targets: [\(targets.map { "'\($0)'" }.joined(separator: ", "))] } ]

        """
        try config.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        return try PeerProcess(bin, [
            "--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ], port: port, directory: dir)
    }

    /// A Python `prometheus_client` exporter with one metric of every kind and known values;
    /// nil when python3 or the package is missing.
    public static func pythonExporter() throws -> PeerProcess? {
        guard let py = which("python3"), (try? runCommand(py, ["-c", "import prometheus_client"]))?.status == 0 else { return nil }
        let dir = URL(fileURLWithPath: ScratchDirectory.make("pyexporter"))
        let port = freeLoopbackPort()
        let script = """
        import sys, time
        from prometheus_client import start_http_server, Counter, Gauge, Histogram, Summary, Info, Enum
        c = Counter('demo_requests', 'Requests served.', ['code'])
        c.labels('200').inc(7)
        c.labels('500').inc(2)
        Gauge('demo_temperature_celsius', 'Temperature.').set(42.5)
        h = Histogram('demo_latency_seconds', 'Latency.', buckets=[0.1, 1, 10])
        for v in (0.05, 0.5, 5, 50):
            h.observe(v)
        Summary('demo_payload_bytes', 'Payload size.').observe(100)
        Info('demo_build', 'Build information.').info({'version': '1.2.3'})
        Enum('demo_state', 'State.', states=['starting', 'running']).state('running')
        start_http_server(int(sys.argv[1]), addr='127.0.0.1')
        while True:
            time.sleep(1)

        """
        let path = dir.appendingPathComponent("exporter.py")
        try script.write(to: path, atomically: true, encoding: .utf8)
        return try PeerProcess(py, [path.path, "\(port)"], port: port, directory: dir)
    }
}
