import Foundation
import Testing
import KansokuTestSupport

/// The metrics side against real peers on loopback, through the real binary:
/// Debian's `prometheus` scrapes our `/metrics` (its `up` is 1), `promtool check metrics`
/// accepts that output, our scraper reads a real Prometheus's own `/metrics` and a Python
/// `prometheus_client` exporter, and `prometheus-api-client` reads the scraped values back
/// from our `/api/v1/query`. Each test is skipped when a peer or the binary is missing (a failure under CI=true).
@Suite(.serialized) struct MetricsInteropTests {
    @Test(.requires(TestPaths.kansoku, .promtool))
    func promtoolAcceptsServerMetrics() throws {
        let bin = try #require(TestPaths.binary)
        let promtool = try #require(TestPaths.which("promtool"))
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

    @Test(.requires(TestPaths.kansoku, .prometheus))
    func prometheusScrapesOurMetrics() throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("prom-scrapes-us")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let prometheus = try #require(try PeerProcess.prometheus(scraping: ["127.0.0.1:\(server.port)"], job: "kansoku"))
        defer { prometheus.stop() }
        try prometheus.waitReady(path: "/-/ready")
        let up = try prometheus.poll("up{job=\"kansoku\"}", until: { $0 == "1" })
        #expect(up == "1", "Prometheus's up for Kansoku; its log:\n\(prometheus.log)")
        let samples = try prometheus.poll("scrape_samples_scraped{job=\"kansoku\"}", until: { (Double($0) ?? 0) > 10 })
        #expect((Double(samples ?? "") ?? 0) > 10)
    }

    @Test(.requires(TestPaths.kansoku, .prometheus, .pythonPrometheusClient, .pythonPrometheusAPIClient))
    func weScrapeRealExportersAndPythonClientsReadTheValues() throws {
        let bin = try #require(TestPaths.binary)
        let exporter = try #require(try PeerProcess.pythonExporter())
        defer { exporter.stop() }
        let prometheus = try #require(try PeerProcess.prometheus(scraping: [], job: "none"))
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

        let py = try #require(TestPaths.which("python3"))
        let script = """
        import sys, time
        from prometheus_api_client import PrometheusConnect
        pc = PrometheusConnect(url=sys.argv[1], disable_ssl=True)
        r = pc.custom_query('demo_temperature_celsius')
        assert float(r[0]['value'][1]) == 42.5, r
        r = pc.get_current_metric_value(metric_name='demo_requests_total', label_config={'code': '200'})
        assert float(r[0]['value'][1]) == 7.0, r
        assert r[0]['metric']['job'] == 'python' and r[0]['metric']['env'] == 'interop', r
        # The client rounds times to whole seconds: end a second later, so a first scrape less
        # than half a second old is inside the range.
        now = time.time()
        r = pc.custom_query_range('up{job="python"}', start_time=__import__('datetime').datetime.fromtimestamp(now - 30),
                                  end_time=__import__('datetime').datetime.fromtimestamp(now + 1), step='1')
        assert r and all(v[1] == '1' for v in r[0]['values']), r
        print('prometheus-api-client ok')
        """
        let r = try runCommand(py, ["-c", script, server.addr])
        #expect(r.status == 0 && r.output.contains("prometheus-api-client ok"), "\(r.output)")
    }

    /// `PrometheusConnect.check_prometheus_connection()` is `GET /` expecting a 2xx (after
    /// redirects), which Prometheus answers with a redirect to its UI.
    @Test(.requires(TestPaths.kansoku, .pythonPrometheusAPIClient))
    func prometheusApiClientConnectionCheck() throws {
        let bin = try #require(TestPaths.binary)
        let py = try #require(TestPaths.which("python3"))
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

extension PeerProcess {
    var client: HTTPTestClient { HTTPTestClient(port: port, timeoutSeconds: 5) }

    func waitReady(path: String, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard process.isRunning else { throw PeerError.exited(log) }
            if let r = try? client.get(path), r.status == 200 { return }
            usleep(100_000)
        }
        throw PeerError.notReady(log)
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
}
