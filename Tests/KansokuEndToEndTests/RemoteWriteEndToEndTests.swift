import Foundation
import Testing
import KansokuTestSupport

/// Prometheus remote write through the real binary, against real peers on loopback:
/// Kansoku sends its scraped series to Debian's Prometheus (remote-write receiver) and
/// VictoriaMetrics, a real Prometheus sends to Kansoku, and an outage with a kill -9 of Kansoku
/// loses nothing. Values are compared sample for sample, as raw data and as PromQL answers.
///
/// `KANSOKU_RW_SECONDS` sets how long data flows (default 12 s; 600 for the 10-minute runs).
@Suite(.serialized) struct RemoteWriteEndToEndTests {
    static let victoriaMetrics = Requirement.command("victoria-metrics", install: "apt-get install victoria-metrics")
    static var flowSeconds: Double { Double(ProcessInfo.processInfo.environment["KANSOKU_RW_SECONDS"] ?? "") ?? 12 }

    @Test(.requires(TestPaths.kansoku, .prometheus, victoriaMetrics))
    func kansokuWritesToPrometheusAndVictoriaMetrics() throws {
        let bin = try #require(TestPaths.binary)
        let prometheus = try RemoteWritePeers.prometheusReceiver()
        defer { prometheus.stop() }
        let vm = try RemoteWritePeers.victoriaMetrics()
        defer { vm.stop() }
        try prometheus.waitReady(path: "/-/ready")
        try vm.waitReady(path: "/health")
        let target = try RemoteWritePeers.seriesTarget(count: 10_000)
        defer { target.stop() }
        try target.waitReady(path: "/metrics")

        let dir = TestPaths.makeTempDir("rw-out")
        let port = freeLoopbackPort()
        let config = dir.appendingPathComponent("kansoku.yaml")
        try """
        rules: { interval: 1s }
        metrics:
          scrape_interval: 1s
          targets:
            - { job: kansoku, targets: ["127.0.0.1:\(port)"] }
            - { job: series, targets: ["127.0.0.1:\(target.port)"] }
          remote_write:
            - url: http://127.0.0.1:\(prometheus.port)/api/v1/write
              name: prometheus
              queue_config: { batch_send_deadline: 1s, max_samples_per_send: 2000 }
            - url: http://127.0.0.1:\(vm.port)/api/v1/write
              name: victoria
              queue_config: { batch_send_deadline: 1s }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config, port: port)
        defer { server.stop() }
        let start = Date()
        Thread.sleep(forTimeInterval: Self.flowSeconds)
        let at = Int64((Date().timeIntervalSince1970 - 2) * 1000)
        try RemoteWritePeers.waitSent(server, queues: ["prometheus", "victoria"], through: at)
        _ = try? vm.client.get("/internal/force_flush")
        Thread.sleep(forTimeInterval: 1)

        let window = Int(Date().timeIntervalSince(start)) + 5
        let ours = try RemoteWritePeers.rawSamples(server.client, at: at, window: window)
        let theirs = try RemoteWritePeers.rawSamples(prometheus.client, at: at, window: window)
        let victoria = try RemoteWritePeers.exported(vm.client, at: at, window: window)
        let samples = ours.values.reduce(0) { $0 + $1.count }
        #expect(ours.count > 10_000 && samples > 10_000 * Int(Self.flowSeconds / 2), "\(ours.count) series, \(samples) samples")
        RemoteWritePeers.expectSame(ours, theirs, peer: "Prometheus")
        // VictoriaMetrics keeps 12 significant digits of a value (its storage is decimal:
        // 70.8417070930001 comes back as 70.841707093), so its values are compared to 12.
        RemoteWritePeers.expectSame(ours, victoria, peer: "VictoriaMetrics", digits: 12)
        // Rule and SLO series (the repository's rules/) travel like scraped ones.
        #expect(ours.keys.contains { $0.hasPrefix("__name__=slo:") }, "no SLO series were written")
        // The same PromQL over Kansoku and Prometheus (VictoriaMetrics speaks MetricsQL, whose
        // rate and lookback differ by design, so its raw samples are what is compared).
        let queries = RemoteWritePeers.queries + RemoteWritePeers.targetQueries
        let exact = try RemoteWritePeers.compareQueries(queries, server.client, prometheus.client, at: at)
        let metrics = try server.client.get("/metrics").text
        for name in ["prometheus_remote_storage_samples_total", "prometheus_remote_storage_samples_pending",
                     "prometheus_remote_storage_queue_highest_sent_timestamp_seconds", "prometheus_remote_storage_shards",
                     "prometheus_remote_storage_highest_timestamp_in_seconds"] {
            #expect(metrics.contains(name), "/metrics lacks \(name)")
        }
        #expect(RemoteWritePeers.metric(metrics, "prometheus_remote_storage_samples_failed_total", queue: "prometheus") == 0)
        print("remote write out: \(ours.count) series, \(samples) samples over \(window) s compared with Prometheus and VictoriaMetrics; \(exact) of \(queries.count) PromQL answers equal to the last digit")
    }

    @Test(.requires(TestPaths.kansoku, .prometheus))
    func prometheusWritesToKansoku() throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("rw-in")
        // No rules: Kansoku then holds exactly what Prometheus sent.
        let config = dir.appendingPathComponent("kansoku.yaml")
        try "rules: { files: [] }\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config)
        defer { server.stop() }
        let prometheus = try RemoteWritePeers.prometheusSender(scraping: ["127.0.0.1:\(server.port)"],
                                                               writingTo: "http://127.0.0.1:\(server.port)/api/v1/write")
        defer { prometheus.stop() }
        try prometheus.waitReady(path: "/-/ready")
        let start = Date()
        Thread.sleep(forTimeInterval: Self.flowSeconds)
        let at = Int64((Date().timeIntervalSince1970 - 3) * 1000)
        let sent = try prometheus.poll("min(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)", timeout: 60) {
            (Double($0) ?? 0) * 1000 >= Double(at) + 1000
        }
        #expect((Double(sent ?? "") ?? 0) * 1000 >= Double(at), "Prometheus did not catch up; its log:\n\(prometheus.log)")
        let window = Int(Date().timeIntervalSince(start)) + 5
        let ours = try RemoteWritePeers.rawSamples(server.client, at: at, window: window)
        let theirs = try RemoteWritePeers.rawSamples(prometheus.client, at: at, window: window)
        #expect(ours.count > 100)
        RemoteWritePeers.expectSame(theirs, ours, peer: "Kansoku")
        let equal = try RemoteWritePeers.compareQueries(RemoteWritePeers.queries, server.client, prometheus.client, at: at)
        let failed = try prometheus.poll("sum(prometheus_remote_storage_samples_failed_total)") { _ in true }
        #expect(failed == "0", "Prometheus dropped samples Kansoku refused:\n\(prometheus.log)")
        print("remote write in: \(ours.count) series, \(ours.values.reduce(0) { $0 + $1.count }) samples compared; \(equal) of \(RemoteWritePeers.queries.count) PromQL answers equal to the last digit")
    }

    @Test(.requires(TestPaths.kansoku, .prometheus))
    func outageAndKillNineLoseNothing() throws {
        let bin = try #require(TestPaths.binary)
        let peerDir = URL(fileURLWithPath: ScratchDirectory.make("rw-outage-prometheus"))
        let peerPort = freeLoopbackPort()
        var prometheus = try RemoteWritePeers.prometheusReceiver(directory: peerDir, port: peerPort)
        defer { prometheus.stop() }
        try prometheus.waitReady(path: "/-/ready")

        let dir = TestPaths.makeTempDir("rw-outage")
        let port = freeLoopbackPort()
        let config = dir.appendingPathComponent("kansoku.yaml")
        try """
        metrics:
          scrape_interval: 1s
          targets: [ { job: kansoku, targets: ["127.0.0.1:\(port)"] } ]
          remote_write:
            - url: http://127.0.0.1:\(peerPort)/api/v1/write
              name: receiver
              queue_config: { batch_send_deadline: 1s, max_samples_per_send: 50, min_backoff: 100ms, max_backoff: 1s }

        """.write(to: config, atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data")
        var server = try ServerProcess(binary: bin, dataDir: data, config: config, port: port)
        defer { server.stop() }
        let start = Date()
        let outage = max(Self.flowSeconds / 2, 6)
        Thread.sleep(forTimeInterval: 4)
        prometheus.stop()
        Thread.sleep(forTimeInterval: outage / 2)
        server.kill9()
        server = try ServerProcess(binary: bin, dataDir: data, config: config, port: port)
        Thread.sleep(forTimeInterval: outage / 2)
        let pendingDuringOutage = RemoteWritePeers.metric(try server.client.get("/metrics").text,
                                                          "prometheus_remote_storage_samples_pending", queue: "receiver")
        prometheus = try RemoteWritePeers.prometheusReceiver(directory: peerDir, port: peerPort)
        try prometheus.waitReady(path: "/-/ready")
        Thread.sleep(forTimeInterval: 2)
        let at = Int64((Date().timeIntervalSince1970 - 1) * 1000)
        try RemoteWritePeers.waitSent(server, queues: ["receiver"], through: at, timeout: 120)
        // The backlog has drained once the queue is seen empty; scrapes newer than `at` keep
        // arriving, so a single reading may catch one of them in flight.
        var pending = -1.0
        for _ in 0..<100 {
            pending = RemoteWritePeers.metric(try server.client.get("/metrics").text, "prometheus_remote_storage_samples_pending", queue: "receiver") ?? -1
            if pending == 0 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(pending == 0)

        let window = Int(Date().timeIntervalSince(start)) + 5
        let ours = try RemoteWritePeers.rawSamples(server.client, at: at, window: window)
        let theirs = try RemoteWritePeers.rawSamples(prometheus.client, at: at, window: window)
        RemoteWritePeers.expectSame(ours, theirs, peer: "Prometheus")
        let up = ours.first { $0.key.contains("__name__=up,") }?.value ?? []
        for (a, b) in zip(up, up.dropFirst()) { #expect(b.t > a.t, "duplicate or unordered timestamps in up") }
        #expect(up.count >= Int(4 + outage / 2), "up has \(up.count) samples")
        print("outage: pending \(pendingDuringOutage ?? -1) during the outage; \(ours.count) series, \(ours.values.reduce(0) { $0 + $1.count }) samples compared")
    }

    @Test(.requires(TestPaths.kansoku))
    func malformedAndOversizedBodiesAreRefused() throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("rw-bad")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let c = server.client
        // Not snappy at all.
        var r = try c.post("/api/v1/write", body: Data("hello".utf8), contentType: "application/x-protobuf",
                           headers: ["Content-Encoding": "snappy"])
        #expect(r.status == 400, "\(r.status) \(r.text)")
        #expect(r.text.contains("\"errorType\":\"bad_data\""))
        // Valid snappy (a literal of 3 bytes) around a truncated protobuf field.
        r = try c.post("/api/v1/write", body: Data([3, 8, 0x0A, 0x05, 0x00]), contentType: "application/x-protobuf",
                       headers: ["Content-Encoding": "snappy"])
        #expect(r.status == 400, "\(r.status) \(r.text)")
        r = try c.post("/api/v1/write", body: Data([1, 0]), contentType: "application/x-protobuf",
                       headers: ["Content-Encoding": "gzip"])
        #expect(r.status == 415)
        // A snappy header declaring 4 GiB is refused before anything is inflated.
        r = try c.post("/api/v1/write", body: Data([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0]), contentType: "application/x-protobuf")
        #expect(r.status == 413, "\(r.status) \(r.text)")
    }
}
