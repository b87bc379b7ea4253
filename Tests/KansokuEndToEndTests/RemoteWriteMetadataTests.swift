#if canImport(NIOHTTP1)
import Foundation
import KansokuIngest
import Testing
import KansokuTestSupport

/// Metric metadata through remote write, with a real Prometheus 2.42 as the oracle: both scrape
/// the same OpenMetrics target (every family type, HELP with escapes, UNIT) and send to one
/// recording receiver; Kansoku's metadata requests must hold exactly what Prometheus's hold.
@Suite(.serialized) struct RemoteWriteMetadataTests {
    static let body = #"""
    # HELP rw_meta_requests Requests served, by \"code\".\nSecond line.
    # TYPE rw_meta_requests counter
    rw_meta_requests_total{code="200"} 7
    # HELP rw_meta_temperature_celsius Temperature.
    # TYPE rw_meta_temperature_celsius gauge
    # UNIT rw_meta_temperature_celsius celsius
    rw_meta_temperature_celsius 42.5
    # HELP rw_meta_latency_seconds Latency.
    # TYPE rw_meta_latency_seconds histogram
    # UNIT rw_meta_latency_seconds seconds
    rw_meta_latency_seconds_bucket{le="0.1"} 1
    rw_meta_latency_seconds_bucket{le="+Inf"} 2
    rw_meta_latency_seconds_count 2
    rw_meta_latency_seconds_sum 0.5
    # TYPE rw_meta_payload_bytes summary
    rw_meta_payload_bytes_count 1
    rw_meta_payload_bytes_sum 100
    # HELP rw_meta_build Build.
    # TYPE rw_meta_build info
    rw_meta_build_info{version="1.2.3"} 1
    # TYPE rw_meta_state stateset
    rw_meta_state{rw_meta_state="running"} 1
    # HELP rw_meta_untyped Help only.
    rw_meta_untyped 3
    # EOF

    """#

    @Test(.requires(TestPaths.kansoku, .prometheus, .python3))
    func metadataEqualsPrometheus() async throws {
        let bin = try #require(TestPaths.binary)
        let receiver = try await ScriptedReceiver(answers: [])
        defer { Task { try? await receiver.stop() } }
        let target = try Self.target()
        defer { target.stop() }
        let url = "http://127.0.0.1:\(receiver.port)/api/v1/write"

        let dir = TestPaths.makeTempDir("rw-metadata")
        let config = dir.appendingPathComponent("kansoku.yaml")
        try """
        rules: { files: [] }
        metrics:
          scrape_interval: 1s
          targets: [ { job: meta, targets: ["127.0.0.1:\(target.port)"] } ]
          remote_write:
            - { url: "\(url)", name: meta, queue_config: { batch_send_deadline: 1s }, metadata_config: { send_interval: 1s } }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config)
        defer { server.stop() }
        let promDir = URL(fileURLWithPath: ScratchDirectory.make("rw-metadata-prometheus"))
        try """
        global: { scrape_interval: 1s }
        scrape_configs: [ { job_name: meta, static_configs: [ { targets: ["127.0.0.1:\(target.port)"] } ] } ]
        remote_write: [ { url: "\(url)", queue_config: { batch_send_deadline: 1s }, metadata_config: { send_interval: 1s } } ]

        """.write(to: promDir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let prometheus = try PeerProcess(try #require(which("prometheus")), [
            "--config.file=\(promDir.path)/prometheus.yml", "--storage.tsdb.path=\(promDir.path)/data",
            "--web.listen-address=127.0.0.1:\(freeLoopbackPort())", "--log.level=warn",
        ], port: 0, directory: promDir)
        defer { prometheus.stop() }

        // The metadata requests of each sender, told apart by User-Agent.
        func metadataRequests() async throws -> (ours: [RemoteWriteRequest], theirs: [RemoteWriteRequest]) {
            var ours: [RemoteWriteRequest] = [], theirs: [RemoteWriteRequest] = []
            for r in try await receiver.waitFor(count: 0, timeout: .zero) {
                let decoded = try r.body.withUnsafeBytes { try RemoteWriteCodec.decodeWithMetadata(snappyBody: $0, maxDecompressedSize: 64 << 20) }
                guard !decoded.metadata.isEmpty else { continue }
                if r.headers["user-agent"]?.hasPrefix("Prometheus/") == true { theirs.append(decoded) } else { ours.append(decoded) }
            }
            return (ours, theirs)
        }
        var got = try await metadataRequests()
        let deadline = ContinuousClock.now + .seconds(60)
        while (got.ours.count < 2 || got.theirs.count < 2) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            got = try await metadataRequests()
        }
        let ours = try #require(got.ours.last, "Kansoku sent no metadata; log:\n\(server.log.suffix(2000))")
        let theirs = try #require(got.theirs.last, "Prometheus sent no metadata; log:\n\(prometheus.log.suffix(2000))")
        #expect(theirs.metadata.count == 7, "\(theirs.metadata)")
        #expect(Set(ours.metadata) == Set(theirs.metadata))
        #expect(ours.metadata.count == theirs.metadata.count, "a family was sent twice: \(ours.metadata)")
        // Metadata travels in requests of its own, as Prometheus sends it.
        #expect(ours.series.isEmpty && theirs.series.isEmpty)
        #expect(ours.metadata.contains(RemoteWriteMetadata(type: .gauge, family: "rw_meta_temperature_celsius",
                                                           help: "Temperature.", unit: "celsius")))
        let metrics = try server.client.get("/metrics").text
        #expect(RemoteWritePeers.metric(metrics, "prometheus_remote_storage_metadata_total", queue: "meta") ?? 0 >= 14)
    }

    /// A target serving `body` as OpenMetrics 1.0.0.
    static func target() throws -> PeerProcess {
        let py = try #require(which("python3"))
        let dir = URL(fileURLWithPath: ScratchDirectory.make("metadata-target"))
        let port = freeLoopbackPort()
        try body.write(to: dir.appendingPathComponent("body.txt"), atomically: true, encoding: .utf8)
        let script = """
        import sys
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        body = open(sys.argv[2], 'rb').read()
        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header('Content-Type', 'application/openmetrics-text; version=1.0.0; charset=utf-8')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
        """
        let path = dir.appendingPathComponent("target.py")
        try script.write(to: path, atomically: true, encoding: .utf8)
        return try PeerProcess(py, [path.path, "\(port)", dir.appendingPathComponent("body.txt").path], port: port, directory: dir)
    }
}
#endif
