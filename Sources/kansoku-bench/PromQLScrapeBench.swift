import Foundation
import KansokuCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `kansoku-bench promql --scrape 10m`: PromQL latency on live scraped data. One loopback target
/// serves the bench's series (`--series N` counters and N histogram buckets); a `kansoku
/// server`, Prometheus and VictoriaMetrics each scrape it every 15 s for the given time, then
/// each is asked the same queries over HTTP, taking turns, `--runs` times. Every answer of
/// Kansoku's is compared value by value with Prometheus's (VictoriaMetrics' `rate` differs from
/// Prometheus's by design, so its agreement is only reported). At the end each process's RSS
/// per scraped series is reported.
///
/// So that the three store identical samples, the target gives every scraper its own path and
/// the k-th scrape of a path gets scrape k's values with an explicit timestamp
/// (`start + k × 15 s`), which all three honour: a scraper's phase or a late start changes
/// nothing.
enum PromQLScrapeBench {
    static let step: Int64 = 15_000

    static func run(series: Int, runs: Int, scrapeSeconds: Double, binary: String) async throws {
        let work = NSTemporaryDirectory() + "kansoku-promql-scrape-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let workload = PromQLBench.Workload(series: series)
        let start = Int64(Date().timeIntervalSince1970 * 1000) / step * step
        let target = try ScrapeTarget(workload: workload, start: start)
        defer { target.exporter.stop() }
        let address = "127.0.0.1:\(target.exporter.port)"
        let maxSamples = 1_000_000_000

        var peers: [RemoteWritePeer] = []
        defer { for p in peers { p.stop() } }
        peers.append(try RemoteWritePeer.kansoku(binary: binary, work: work + "/kansoku", config: """
            rules: { files: [] }
            query: { max_samples: \(maxSamples), timeout: 10m }
            metrics:
              scrape_interval: 15s
              scrape_timeout: 10s
              targets: [ { job: bench, targets: ["\(address)"], metrics_path: /metrics/kansoku, honor_labels: true } ]

            """))
        if let prometheus = BenchProcess.find("prometheus") {
            peers.append(try await RemoteWritePeer.prometheus(binary: prometheus, work: work + "/prometheus", config: """
                global: { scrape_interval: 15s, scrape_timeout: 10s }
                scrape_configs:
                  - { job_name: bench, honor_labels: true, honor_timestamps: true, metrics_path: /metrics/prometheus,
                      static_configs: [ { targets: ["\(address)"] } ] }

                """, flags: ["--query.max-samples=\(maxSamples)", "--storage.tsdb.retention.time=10y"]))
        } else {
            emit(["suite": "promql-scrape", "skipped": "prometheus", "reason": "not installed (apt-get install prometheus)"])
        }
        if let vm = BenchProcess.find("victoria-metrics") {
            peers.append(try await RemoteWritePeer.victoriaMetrics(binary: vm, work: work + "/victoriametrics", config: """
                scrape_configs:
                  - { job_name: bench, scrape_interval: 15s, scrape_timeout: 10s, honor_labels: true, honor_timestamps: true,
                      metrics_path: /metrics/victoriametrics, static_configs: [ { targets: ["\(address)"] } ] }

                """))
        } else {
            emit(["suite": "promql-scrape", "skipped": "victoria-metrics", "reason": "not installed (apt-get install victoria-metrics)"])
        }
        emit(["suite": "promql-scrape", "phase": "setup", "series": workload.labelSets.count, "scrape_seconds": scrapeSeconds,
              "peers": peers.map(\.name), "load_average": LogsIngestBench.loadAverage()])

        let cpu0 = peers.map(\.cpuSeconds)
        let began = Date()
        while Date().timeIntervalSince(began) < scrapeSeconds {
            try await Task.sleep(for: .seconds(min(60, max(1, scrapeSeconds - Date().timeIntervalSince(began)))))
            var progress: [String: Any] = ["suite": "promql-scrape", "phase": "scraping", "second": Int(Date().timeIntervalSince(began))]
            for p in peers { progress["\(p.name)_scrapes"] = target.scrapes(of: p.name); progress["\(p.name)_rss_mib"] = rounded(Double(p.rss) / 1_048_576) }
            emit(progress)
        }
        // Scrape k carries `start + k × step`; the last two scrapes may still be in flight.
        let scraped = peers.map { target.scrapes(of: $0.name) }.min() ?? 0
        // 6 minutes of scrapes are asked for; fewer means a scraper fell behind.
        guard scraped >= 22 else { throw LogsIngestBench.BenchError.io("a scraper fell behind: only \(scraped) scrapes in \(Int(scrapeSeconds)) s") }
        let end = start + Int64(scraped - 2) * step
        var summary: [String: Any] = ["suite": "promql-scrape", "summary": true, "series": workload.labelSets.count,
                                      "scrapes": scraped, "at": Double(end) / 1000]
        for (i, p) in peers.enumerated() {
            summary["\(p.name)_rss_bytes_per_series"] = p.rss / workload.labelSets.count
            summary["\(p.name)_scrape_cpu_seconds"] = rounded(p.cpuSeconds - cpu0[i])
        }

        for q in PromQLBench.queries(end: end, hourStart: nil) {
            let path = q.rangeStart.map {
                "/api/v1/query_range?query=\(encode(q.q))&start=\(Double($0) / 1000)&end=\(Double(end) / 1000)&step=\(Double(q.step) / 1000)"
            } ?? "/api/v1/query?query=\(encode(q.q))&time=\(Double(end) / 1000)"
            var times = [[Double]](repeating: [], count: peers.count)
            var bodies = [String](repeating: "", count: peers.count)
            for _ in 0..<runs {
                for (i, p) in peers.enumerated() {
                    let t0 = ContinuousClock.now
                    bodies[i] = (try? LoopbackHTTPClient(port: p.port).send("GET", path))?.text ?? ""
                    times[i].append(PromQLBench.seconds(since: t0))
                }
            }
            var line: [String: Any] = ["suite": "promql-scrape", "query": q.name, "expr": q.q]
            let values = bodies.map(PromQLBench.prometheusValues)
            for (i, p) in peers.enumerated() {
                line["\(p.name)_median_ms"] = rounded(PromQLBench.median(times[i]) * 1000)
                line["\(p.name)_result_series"] = values[i].count
                if !bodies[i].contains("\"status\":\"success\"") {
                    BenchOracle.mismatch("promql-scrape", "\(q.name): \(p.name) did not answer \(q.q): \(bodies[i].prefix(200))")
                }
            }
            if let k = peers.firstIndex(where: { $0.name == "kansoku" }) {
                let ours = PromQLBench.median(times[k])
                var fastest = Double.infinity
                for (i, p) in peers.enumerated() where i != k {
                    let theirs = PromQLBench.median(times[i])
                    fastest = min(fastest, theirs)
                    line["kansoku_speedup_vs_\(p.name)"] = rounded(theirs / max(ours, 1e-9))
                }
                if fastest.isFinite {
                    line["kansoku_speedup_vs_fastest_peer"] = rounded(fastest / max(ours, 1e-9))
                    summary["\(q.name)_speedup_vs_fastest_peer"] = line["kansoku_speedup_vs_fastest_peer"]
                }
                summary["\(q.name)_kansoku_ms"] = line["kansoku_median_ms"]
                if let pr = peers.firstIndex(where: { $0.name == "prometheus" }) {
                    let differing = PromQLBench.differingValues(values[k], values[pr])
                    line["values_compared"] = values[k].values.reduce(0) { $0 + $1.count }
                    line["kansoku_values_equal_to_prometheus"] = differing.isEmpty
                    if let first = differing.first {
                        BenchOracle.mismatch("promql-scrape", "\(q.name): \(differing.count) series differ from Prometheus's, e.g. \(first)")
                    }
                    if let v = peers.firstIndex(where: { $0.name == "victoriametrics" }) {
                        line["victoriametrics_values_equal_to_prometheus"] = PromQLBench.differingValues(values[v], values[pr]).isEmpty
                    }
                }
            }
            emit(line)
        }
        emit(summary)
    }

    static func encode(_ q: String) -> String { q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q }
    static func emit(_ object: [String: Any]) { PromQLBench.emit(object) }
    static func rounded(_ x: Double) -> Double { PromQLBench.rounded(x) }
}

/// The loopback target: per path, the k-th request gets scrape k of the workload, with
/// explicit timestamps. The last few bodies are kept, since the scrapers ask for the same k
/// within seconds of each other.
final class ScrapeTarget: Sendable {
    private struct State {
        var scrapes: [String: Int] = [:]
        var bodies: [Int: [UInt8]] = [:]
    }
    private final class Shared: Sendable { let state = Mutex(State()) }
    private let shared = Shared()
    let exporter: LoopbackExporter

    init(workload: PromQLBench.Workload, start: Int64) throws {
        let shared = self.shared
        // Each series' exposition text up to its value: `name{labels} `.
        let prefixes: [[UInt8]] = workload.labelSets.map { l in
            let rest = l.filter { $0.name != "__name__" }.map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
            return Array("\(l["__name__"] ?? ""){\(rest)} ".utf8)
        }
        exporter = try LoopbackExporter { path in
            let peer = path.split(separator: "/").last.map(String.init) ?? ""
            return shared.state.withLock { s -> [UInt8] in
                let k = s.scrapes[peer, default: 0]
                s.scrapes[peer] = k + 1
                if let b = s.bodies[k] { return b }
                var body: [UInt8] = []
                body.reserveCapacity(prefixes.count * 72)
                let stamp = Array(" \(start + Int64(k) * PromQLScrapeBench.step)\n".utf8)
                for (i, p) in prefixes.enumerated() {
                    body += p
                    body += Array(String(Int64(workload.value(i, k))).utf8)
                    body += stamp
                }
                s.bodies[k] = body
                s.bodies[k - 3] = nil
                return body
            }
        }
    }

    /// Scrapes served so far to `peer` (the last path component its scrape config names).
    func scrapes(of peer: String) -> Int { shared.state.withLock { $0.scrapes[peer] ?? 0 } }
}

extension RemoteWritePeer {
    /// `victoria-metrics` scraping with `config` (its `-promscrape.config`), on a free loopback
    /// port, without its response cache or its 30 s latency offset, so that every query is
    /// computed and sees the newest samples, as the others do.
    static func victoriaMetrics(binary: String, work: String, config: String) async throws -> RemoteWritePeer {
        try FileManager.default.createDirectory(atPath: work + "/data", withIntermediateDirectories: true)
        try config.write(toFile: work + "/scrape.yml", atomically: true, encoding: .utf8)
        let port = LoopbackExporter.freePort()
        let p = try BenchProcess(binary, ["-storageDataPath=\(work)/data", "-httpListenAddr=127.0.0.1:\(port)",
                                          "-promscrape.config=\(work)/scrape.yml", "-search.latencyOffset=0s",
                                          "-search.disableCache", "-retentionPeriod=100y"], port: port, dataDir: work + "/data")
        for _ in 0..<120 {
            if LoopbackExporter.get(port: port, path: "/health")?.hasPrefix("OK") == true {
                return RemoteWritePeer(name: "victoriametrics", port: port, pid: p.pid) { p.stop() }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        p.stop()
        throw LogsIngestBench.BenchError.io("victoria-metrics was not ready within 30 s")
    }
}
