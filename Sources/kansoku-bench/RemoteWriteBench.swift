import Foundation
import KansokuCore
import KansokuIngest

#if canImport(Glibc)
import Glibc
#endif

/// `kansoku-bench remote-write`: Prometheus remote write sent and received, Kansoku beside a
/// real Prometheus 2.42 in the same run.
///
/// (a) sending: both scrape the same N-series target the bench serves and remote-write to one
///     loopback sink that decodes every request and counts samples per sender; samples/s per
///     CPU-second of each process (`/proc/<pid>/stat`) over the same interval.
/// (b) backlog: the sink answers 503 until each sender holds `--backlog-samples` samples per
///     series (240 = one hour at 15 s, reached at `--scrape-interval`), RSS while backlogged and
///     after draining, the drain rate; then every series the sink got is checked against the
///     sender's own store (`count_over_time`): each stored sample exactly once, no duplicates.
/// (c) receiving: the same pre-encoded WriteRequest bodies POSTed to Kansoku's
///     `/api/v1/write` and to `prometheus --web.enable-remote-write-receiver`; samples/s per
///     CPU-second of each receiver, then a query checks every sample was stored.
///
/// Options: --series N (10000) --scrape-interval S (1) --steady-seconds S (60)
/// --backlog-samples N (240) --receive-samples N (120 per series) --clients N (4)
/// --binary PATH (the `kansoku` beside this executable).
enum RemoteWriteBench {
    struct Options {
        var series = 10_000
        var scrapeInterval = 1.0
        var steadySeconds = 60.0
        var backlogSamples = 240
        var receiveSamples = 120
        var clients = 4
        var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kansoku").path
    }

    static func run(arguments: [String]) async throws {
        let o = try parse(arguments)
        guard let prometheus = BenchProcess.find("prometheus") else {
            throw LogsIngestBench.BenchError.usage("prometheus (2.42, apt-get install prometheus) is needed: it is the peer every figure is compared with")
        }
        let work = NSTemporaryDirectory() + "kansoku-bench-rw-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        var summary: [String: Any] = ["suite": "remote-write", "summary": true, "series": o.series,
                                      "scrape_interval_seconds": o.scrapeInterval, "binary": o.binary]
        summary.merge(try await sending(o, prometheus: prometheus, work: work + "/send")) { a, _ in a }
        summary.merge(try await receiving(o, prometheus: prometheus, work: work + "/receive")) { a, _ in a }
        func ratio(_ a: String, _ b: String) -> Double? {
            guard let x = summary[a] as? Double, let y = summary[b] as? Double, y > 0 else { return nil }
            return rounded(x / y)
        }
        summary["ratios"] = [
            "send_samples_per_cpu_second_vs_prometheus": ratio("kansoku_send_samples_per_cpu_second", "prometheus_send_samples_per_cpu_second"),
            "drain_samples_per_cpu_second_vs_prometheus": ratio("kansoku_drain_samples_per_cpu_second", "prometheus_drain_samples_per_cpu_second"),
            "drain_seconds_vs_prometheus": ratio("kansoku_drain_seconds", "prometheus_drain_seconds"),
            "backlog_rss_vs_prometheus": ratio("kansoku_backlog_rss_mib", "prometheus_backlog_rss_mib"),
            "drained_rss_vs_prometheus": ratio("kansoku_drained_rss_mib", "prometheus_drained_rss_mib"),
            "receive_samples_per_cpu_second_vs_prometheus": ratio("kansoku_receive_samples_per_cpu_second", "prometheus_receive_samples_per_cpu_second"),
        ].compactMapValues { $0 }
        emit(summary)
    }

    // MARK: (a) sending and (b) backlog

    static func sending(_ o: Options, prometheus: String, work: String) async throws -> [String: Any] {
        let sink = try RemoteWriteSink()
        defer { sink.stop() }
        let target = try LoopbackExporter()
        defer { target.stop() }
        let workload = BenchWorkload(series: o.series, seed: 11, instance: "127.0.0.1:\(target.port)")
        target.body.withLock { $0 = workload.render() }
        let interval = "\(Int((o.scrapeInterval * 1000).rounded()))ms"  // Prometheus durations take no fractions
        let sinkURL = "http://127.0.0.1:\(sink.port)"
        let kansoku = try RemoteWritePeer.kansoku(binary: o.binary, work: work + "/kansoku", config: """
            rules: { files: [] }
            metrics:
              scrape_interval: \(interval)
              scrape_timeout: \(interval)
              targets: [ { job: bench, targets: ["127.0.0.1:\(target.port)"] } ]
              remote_write: [ { url: "\(sinkURL)/kansoku/api/v1/write", name: sink } ]

            """)
        defer { kansoku.stop() }
        let prom = try await RemoteWritePeer.prometheus(binary: prometheus, work: work + "/prometheus", config: """
            global: { scrape_interval: \(interval), scrape_timeout: \(interval) }
            scrape_configs:
              - { job_name: bench, static_configs: [ { targets: ["127.0.0.1:\(target.port)"] } ] }
            remote_write: [ { url: "\(sinkURL)/prometheus/api/v1/write", name: sink } ]

            """)
        defer { prom.stop() }
        let peers = [kansoku, prom]
        let started = nowMs()

        // The target's values move every scrape interval, as a live exporter's do.
        let ticking = Task.detached { [workload] in
            var workload = workload
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int(o.scrapeInterval * 1000)))
                workload.tick(seconds: o.scrapeInterval)
                let body = workload.render()
                target.body.withLock { $0 = body }
            }
        }
        defer { ticking.cancel() }

        // Warm-up: both have scraped and sent a few rounds before anything is measured.
        try await Task.sleep(for: .seconds(max(10, 3 * o.scrapeInterval + 6)))
        var out: [String: Any] = [:]
        let cpu0 = peers.map(\.cpuSeconds), sent0 = peers.map { sink.samples($0.name) }
        let t0 = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(Int(o.steadySeconds * 1000)))
        let wall = seconds(since: t0)
        for (i, p) in peers.enumerated() {
            let cpu = p.cpuSeconds - cpu0[i], samples = sink.samples(p.name) - sent0[i]
            out["\(p.name)_send_samples_per_second"] = rounded(Double(samples) / wall)
            out["\(p.name)_send_cpu_seconds"] = rounded(cpu)
            out["\(p.name)_send_samples_per_cpu_second"] = rounded(Double(samples) / max(cpu, 0.001))
            out["\(p.name)_steady_rss_mib"] = rounded(Double(p.rss) / 1_048_576)
            emit(["suite": "remote-write", "phase": "send", "peer": p.name, "seconds": rounded(wall), "samples": samples,
                  "cpu_seconds": rounded(cpu), "note": "whole process: scraping, local storage and remote write"])
        }

        // (b) The sink refuses everything until a backlog of `backlogSamples` per series is built.
        let outage = Double(o.backlogSamples) * o.scrapeInterval
        let downAt = nowMs()
        sink.down.store(true, ordering: .relaxed)
        let peaks = PeakRSS(peers.map(\.pid))
        try await Task.sleep(for: .milliseconds(Int(outage * 1000)))
        let backlogRSS = peers.map(\.rss)
        let peak = peaks.stop()
        let upAt = nowMs()
        let cpu1 = peers.map(\.cpuSeconds), sent1 = peers.map { sink.samples($0.name) }
        sink.down.store(false, ordering: .relaxed)
        let drainStart = ContinuousClock.now
        var drained: [Double?] = [nil, nil]
        var drainCPU: [Double] = [0, 0], drainSamples: [Int] = [0, 0]
        while drained.contains(where: { $0 == nil }), seconds(since: drainStart) < max(600, outage * 2) {
            try await Task.sleep(for: .milliseconds(250))
            for (i, p) in peers.enumerated() where drained[i] == nil && sink.seriesBehind(p.name, upAt) == 0 {
                drained[i] = seconds(since: drainStart)
                drainCPU[i] = p.cpuSeconds - cpu1[i]
                drainSamples[i] = sink.samples(p.name) - sent1[i]
            }
        }
        try await Task.sleep(for: .seconds(10))
        for (i, p) in peers.enumerated() {
            let backlog = sink.tally(p.name).counts(in: downAt...(upAt - 1), having: "job=\"bench\"")
            let perSeries = backlog.values.sorted()
            out["\(p.name)_backlog_rss_mib"] = rounded(Double(backlogRSS[i]) / 1_048_576)
            out["\(p.name)_backlog_peak_rss_mib"] = rounded(Double(peak[p.pid] ?? 0) / 1_048_576)
            out["\(p.name)_drained_rss_mib"] = rounded(Double(p.rss) / 1_048_576)
            if let d = drained[i] {
                out["\(p.name)_drain_seconds"] = rounded(d)
                out["\(p.name)_drain_samples_per_second"] = rounded(Double(drainSamples[i]) / max(d, 0.001))
                out["\(p.name)_drain_samples_per_cpu_second"] = rounded(Double(drainSamples[i]) / max(drainCPU[i], 0.001))
            } else {
                BenchOracle.mismatch("remote-write", "\(p.name) did not drain its backlog within \(Int(max(600, outage * 2))) s")
            }
            emit(["suite": "remote-write", "phase": "backlog", "peer": p.name, "outage_seconds": rounded(outage),
                  "backlog_series": perSeries.count, "backlog_samples": perSeries.reduce(0, +),
                  "backlog_samples_per_series_median": perSeries.isEmpty ? 0 : perSeries[perSeries.count / 2],
                  "one_hour_at_15s_equivalent": "\(o.backlogSamples) samples per series, scraped every \(o.scrapeInterval) s",
                  "drain_seconds": drained[i].map { rounded($0) } ?? NSNull(), "drain_samples": drainSamples[i],
                  "drain_cpu_seconds": rounded(drainCPU[i])])
        }
        out["backlog_samples_per_series"] = o.backlogSamples
        out.merge(try await verify(peers, sink: sink, since: started)) { a, _ in a }
        return out
    }

    /// Checks each sender's deliveries against its own store: per series, the samples the sink
    /// got up to a cut-off equal those the sender stored, none twice.
    static func verify(_ peers: [RemoteWritePeer], sink: RemoteWriteSink, since started: Int64) async throws -> [String: Any] {
        let cut = nowMs() - 2_000
        // Series go out in order, so once every series has a later sample, all before `cut` arrived.
        let deadline = ContinuousClock.now + .seconds(120)
        while peers.contains(where: { sink.seriesBehind($0.name, cut + 1) > 0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
        }
        var out: [String: Any] = [:]
        let range = Int((cut - started) / 1000) + 120
        for p in peers {
            let stored = try p.storedCounts(job: "bench", throughMs: cut, rangeSeconds: range)
            let tally = sink.tally(p.name)
            let received = tally.counts(in: (cut - Int64(range) * 1000 + 1)...cut, having: "job=\"bench\"")
            let missing = stored.filter { received[$0.key, default: 0] < $0.value }
            let extra = received.filter { $0.value > stored[$0.key, default: 0] }
            let duplicates = tally.duplicates
            let storedTotal = stored.values.reduce(0, +), receivedTotal = received.values.reduce(0, +)
            out["\(p.name)_verified_samples"] = receivedTotal
            emit(["suite": "remote-write", "phase": "verify", "peer": p.name, "series": stored.count,
                  "stored_samples": storedTotal, "received_samples": receivedTotal,
                  "series_missing_samples": missing.count, "series_with_extra_samples": extra.count,
                  "series_with_duplicate_timestamps": duplicates.series, "duplicate_samples": duplicates.samples,
                  "stale_markers": tally.staleMarkers, "requests": tally.requests, "refused_requests": tally.refused,
                  "metadata_entries": tally.metadata])
            if stored.isEmpty || !missing.isEmpty || !extra.isEmpty || duplicates.samples > 0 {
                BenchOracle.mismatch("remote-write", "\(p.name): \(receivedTotal) samples received, \(storedTotal) stored; "
                                     + "\(missing.count) series short, \(extra.count) series over, \(duplicates.samples) duplicates")
            }
        }
        return out
    }

    // MARK: helpers

    static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value() throws -> String {
            guard i + 1 < arguments.count else { throw LogsIngestBench.BenchError.usage("\(arguments[i]) needs a value") }
            i += 1
            return arguments[i]
        }
        func positive(_ text: String) throws -> Double {
            guard let x = Double(text), x > 0, x <= 1_000_000 else {
                throw LogsIngestBench.BenchError.usage("\(arguments[i - 1]) needs a positive number, got \"\(text)\"")
            }
            return x
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--series": o.series = Int(try positive(try value()))
            case "--scrape-interval": o.scrapeInterval = max(0.1, try positive(try value()))
            case "--steady-seconds": o.steadySeconds = try positive(try value())
            case "--backlog-samples": o.backlogSamples = Int(try positive(try value()))
            case "--receive-samples": o.receiveSamples = Int(try positive(try value()))
            case "--clients": o.clients = min(64, Int(try positive(try value())))
            case "--binary": o.binary = try value()
            default: throw LogsIngestBench.BenchError.usage("unknown option \(arguments[i])")
            }
            i += 1
        }
        return o
    }

    /// A series as one string: `name="value",` pairs sorted by name.
    static func seriesKey(_ labels: [Label]) -> String {
        var key = ""
        for l in labels.sorted(by: { $0.name < $1.name }) { key += l.name + "=\"" + l.value + "\"," }
        return key
    }

    static func seriesKey(_ metric: [String: String]) -> String {
        seriesKey(metric.map { Label(name: $0.key, value: $0.value) })
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func emit(_ object: [String: Any]) { MetricsBench.emit(object) }

    static func seconds(since start: ContinuousClock.Instant) -> Double { MetricsBench.seconds(since: start) }

    static func rounded(_ x: Double) -> Double { MetricsBench.rounded(x, x >= 1000 ? 1 : 1000) }
}
