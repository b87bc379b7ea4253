import AsyncHTTPClient
import Foundation
import KansokuTestSupport

/// Real peers started on loopback by a test and stopped by PID.
final class PeerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let directory: URL
    let output: URL

    init(_ executable: String, _ arguments: [String], port: Int, directory: URL) throws {
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

    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    /// Polls `http://127.0.0.1:port<path>` until it answers 200.
    func waitReady(path: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw PeerError.exited(log) }
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            if let r = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), r.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PeerError.notReady(log)
    }

    /// SIGTERM by PID, then SIGKILL if it lingers.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    enum PeerError: Error, CustomStringConvertible {
        case exited(String), notReady(String)
        var description: String {
            switch self {
            case .exited(let log): "peer exited early:\n\(log)"
            case .notReady(let log): "peer not ready in time:\n\(log)"
            }
        }
    }

    /// A Prometheus server scraping `targets` (host:port) every second.
    static func prometheus(scraping targets: [String] = [], job: String = "kansoku") throws -> PeerProcess? {
        guard let bin = which("prometheus") else { return nil }
        let dir = temporaryDirectory("prometheus")
        let port = freePort()
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

    /// A Python `prometheus_client` exporter with one metric of every kind and known values.
    static func pythonExporter() throws -> PeerProcess? {
        guard let py = which("python3"),
              (try? run(py, ["-c", "import prometheus_client"]))?.0 == 0 else { return nil }
        let dir = temporaryDirectory("pyexporter")
        let port = freePort()
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

func temporaryDirectory(_ prefix: String) -> URL {
    URL(fileURLWithPath: ScratchDirectory.make(prefix))
}

/// A loopback port that was free a moment ago.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}
