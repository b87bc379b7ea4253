import Foundation
import Testing

/// The metrics side against real peers on loopback, through the real binary:
/// Debian's `prometheus` scrapes our `/metrics` (its `up` is 1), `promtool check metrics`
/// accepts that output, our scraper reads a real Prometheus's own `/metrics` and a Python
/// `prometheus_client` exporter, and `prometheus-api-client` reads the scraped values back
/// from our `/api/v1/query`. Each test skips loudly when a peer or the binary is missing.
@Suite(.serialized) struct MetricsInteropTests {
    @Test func promtoolAcceptsServerMetrics() throws {
        guard let bin = TestPaths.binary else { TestPaths.skip("kansoku binary not built"); return }
        guard let promtool = TestPaths.which("promtool") else {
            TestPaths.skip("promtool not installed (apt-get install prometheus)"); return
        }
        let dir = TestPaths.makeTempDir("promtool-metrics")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        // Some traffic first, so request and store metrics have values.
        _ = try server.client.get("/api/v1/query?query=up")
        let metrics = try server.client.get("/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers.first { $0.key.lowercased() == "content-type" }?.value.hasPrefix("text/plain") == true)
        let (status, output) = try runCommand(promtool, ["check", "metrics"], input: metrics.body)
        #expect(status == 0, "promtool check metrics failed:\n\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool lint findings:\n\(output)")
    }

    @Test func prometheusScrapesOurMetrics() throws {
        guard let bin = TestPaths.binary else { TestPaths.skip("kansoku binary not built"); return }
        guard TestPaths.which("prometheus") != nil else {
            TestPaths.skip("prometheus not installed (apt-get install prometheus)"); return
        }
        let dir = TestPaths.makeTempDir("prom-scrapes-us")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let prometheus = try MetricsPeer.prometheus(scraping: ["127.0.0.1:\(server.port)"], job: "kansoku")
        defer { prometheus.stop() }
        try prometheus.waitReady(path: "/-/ready")
        let up = try prometheus.poll("up{job=\"kansoku\"}", until: { $0 == "1" })
        #expect(up == "1", "Prometheus's up for Kansoku; its log:\n\(prometheus.log)")
        let samples = try prometheus.poll("scrape_samples_scraped{job=\"kansoku\"}", until: { (Double($0) ?? 0) > 10 })
        #expect((Double(samples ?? "") ?? 0) > 10)
    }

    @Test func weScrapeRealExportersAndPythonClientsReadTheValues() throws {
        guard let bin = TestPaths.binary else { TestPaths.skip("kansoku binary not built"); return }
        guard TestPaths.which("prometheus") != nil else {
            TestPaths.skip("prometheus not installed (apt-get install prometheus)"); return
        }
        guard let exporter = try MetricsPeer.pythonExporter() else {
            TestPaths.skip("python3 with prometheus_client not installed (pip install prometheus-client)"); return
        }
        defer { exporter.stop() }
        let prometheus = try MetricsPeer.prometheus(scraping: [], job: "none")
        defer { prometheus.stop() }
        try exporter.waitReady(path: "/metrics")
        try prometheus.waitReady(path: "/-/ready")

        let dir = TestPaths.makeTempDir("we-scrape")
        let config = dir.appendingPathComponent("kansoku.yaml")
        try """
        metrics:
          scrape_interval: 1s
          targets:
            - job: prometheus
              targets: ["127.0.0.1:\(prometheus.port)"]
            - job: python
              targets: ["127.0.0.1:\(exporter.port)"]
              labels: { env: interop }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config)
        defer { server.stop() }

        func query(_ q: String) throws -> [[String: Any]] {
            let r = try server.client.get("/api/v1/query?query=\(urlEncode(q))")
            guard r.status == 200, let root = try r.json() as? [String: Any], let data = root["data"] as? [String: Any],
                  let result = data["result"] as? [[String: Any]] else { return [] }
            return result
        }
        func value(_ q: String) throws -> String? {
            ((try query(q)).first?["value"] as? [Any])?.last as? String
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let python = try value("up{job=\"python\"}"), prom = try value("up{job=\"prometheus\"}")
            if python == "1" && prom == "1" { break }
            usleep(200_000)
        }
        #expect(try value("up{job=\"prometheus\"}") == "1", "server log:\n\(server.log)")
        #expect(try value("up{job=\"python\"}") == "1", "server log:\n\(server.log)")
        let build = try query("prometheus_build_info")
        #expect((build.first?["metric"] as? [String: String])?["job"] == "prometheus")
        #expect((Double(try value("scrape_samples_scraped{job=\"prometheus\"}") ?? "") ?? 0) > 100)
        #expect(try value("demo_temperature_celsius") == "42.5")
        #expect(try value("demo_requests_total{code=\"500\",env=\"interop\"}") == "2")
        #expect(try value("demo_latency_seconds_bucket{le=\"1.0\"}") == "2")

        // /api/v1/targets as Prometheus shapes it: both targets up, with their labels.
        let targets = try server.client.get("/api/v1/targets")
        let active = ((try targets.json() as? [String: Any])?["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]] ?? []
        #expect(active.map { $0["scrapePool"] as? String } == ["prometheus", "python"], "\(targets.text)")
        #expect(active.allSatisfy { $0["health"] as? String == "up" && $0["lastError"] as? String == "" }, "\(targets.text)")
        #expect((active.last?["labels"] as? [String: String]) == ["env": "interop", "instance": "127.0.0.1:\(exporter.port)", "job": "python"])
        #expect(try server.client.get("/api/v1/targets?state=bogus").status == 400)

        guard let py = TestPaths.which("python3"),
              (try? runCommand(py, ["-c", "import prometheus_api_client"]))?.status == 0 else {
            TestPaths.skip("python3 with prometheus-api-client not installed (pip install prometheus-api-client)"); return
        }
        let script = """
        import sys, time
        from prometheus_api_client import PrometheusConnect
        pc = PrometheusConnect(url=sys.argv[1], disable_ssl=True)
        r = pc.custom_query('demo_temperature_celsius')
        assert float(r[0]['value'][1]) == 42.5, r
        r = pc.get_current_metric_value(metric_name='demo_requests_total', label_config={'code': '200'})
        assert float(r[0]['value'][1]) == 7.0, r
        assert r[0]['metric']['job'] == 'python' and r[0]['metric']['env'] == 'interop', r
        now = time.time()
        r = pc.custom_query_range('up{job="python"}', start_time=__import__('datetime').datetime.fromtimestamp(now - 30),
                                  end_time=__import__('datetime').datetime.fromtimestamp(now), step='1')
        assert r and all(v[1] == '1' for v in r[0]['values']), r
        print('prometheus-api-client ok')
        """
        let r = try runCommand(py, ["-c", script, server.addr])
        #expect(r.status == 0 && r.output.contains("prometheus-api-client ok"), "\(r.output)")
    }

    /// `PrometheusConnect.check_prometheus_connection()` is `GET /` expecting a 2xx (after
    /// redirects), which Prometheus answers with a redirect to its UI.
    @Test func prometheusApiClientConnectionCheck() throws {
        guard let bin = TestPaths.binary else { TestPaths.skip("kansoku binary not built"); return }
        guard let py = TestPaths.which("python3"),
              (try? runCommand(py, ["-c", "import prometheus_api_client"]))?.status == 0 else {
            TestPaths.skip("python3 with prometheus-api-client not installed (pip install prometheus-api-client)"); return
        }
        let dir = TestPaths.makeTempDir("api-client-check")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let script = """
        import sys
        from prometheus_api_client import PrometheusConnect
        print('connected' if PrometheusConnect(url=sys.argv[1], disable_ssl=True).check_prometheus_connection() else 'refused')
        """
        let r = try runCommand(py, ["-c", script, server.addr])
        #expect(r.output.contains("connected"), "GET / must answer 2xx for prometheus-api-client: \(r.output)")
    }
}

/// Prometheus and a Python exporter, started by these tests on loopback and stopped by PID.
final class MetricsPeer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let logFile: URL

    init(_ executable: String, _ arguments: [String], port: Int, directory: URL) throws {
        self.port = port
        logFile = directory.appendingPathComponent("peer-\(port).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
    var client: HTTPTestClient { HTTPTestClient(port: port, timeoutSeconds: 5) }

    func waitReady(path: String, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process.isRunning else { throw ServerProcess.StartError.exited(log: log) }
            if let r = try? client.get(path), r.status == 200 { return }
            usleep(100_000)
        }
        throw ServerProcess.StartError.notReady(log: log)
    }

    /// Polls this Prometheus's `/api/v1/query` until the first value satisfies `done`.
    func poll(_ query: String, timeout: TimeInterval = 30, until done: (String) -> Bool) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: String?
        while Date() < deadline {
            if let r = try? client.get("/api/v1/query?query=\(urlEncode(query))"), r.status == 200,
               let root = try? r.json() as? [String: Any], let data = root["data"] as? [String: Any],
               let result = data["result"] as? [[String: Any]], let v = result.first?["value"] as? [Any],
               let s = v.last as? String {
                last = s
                if done(s) { return s }
            }
            usleep(250_000)
        }
        return last
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    static func prometheus(scraping targets: [String], job: String) throws -> MetricsPeer {
        let dir = TestPaths.makeTempDir("prometheus")
        let port = ServerProcess.freePort()
        try """
        global: { scrape_interval: 1s, evaluation_interval: 1s }
        scrape_configs:
          - job_name: \(job)
            static_configs: [ { targets: [\(targets.map { "'\($0)'" }.joined(separator: ", "))] } ]

        """.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        return try MetricsPeer(TestPaths.which("prometheus")!, [
            "--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/data",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ], port: port, directory: dir)
    }

    /// A `prometheus_client` exporter with a metric of every kind and known values.
    static func pythonExporter() throws -> MetricsPeer? {
        guard let py = TestPaths.which("python3"),
              (try? runCommand(py, ["-c", "import prometheus_client"]))?.status == 0 else { return nil }
        let dir = TestPaths.makeTempDir("pyexporter")
        let port = ServerProcess.freePort()
        let path = dir.appendingPathComponent("exporter.py")
        try """
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

        """.write(to: path, atomically: true, encoding: .utf8)
        return try MetricsPeer(py, [path.path, "\(port)"], port: port, directory: dir)
    }
}
