import Foundation
import KansokuCore
@_spi(Benchmarks) import KansokuMetricStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `kansoku-bench metrics`: the metric store beside a real Prometheus.
/// (a) in-memory append micro-benchmark (one core), (b) 100k series at 15 s written straight
/// into the store over simulated hours (bytes/sample of the cut block, memory/series),
/// (c) a live run where Prometheus scrapes a loopback exporter serving the same values the
/// store ingests, plus a backfill of identical data through `promtool` and into blocks of
/// both chunk formats (compressed frames and XOR), with range queries timed on each.
/// Options: --series N (100000) --minutes M (2.5, live run; 0 skips) --hours H (3.1)
/// --backfill-series N (20000) --no-prometheus.
enum MetricsBench {
    static func run(arguments: [String]) async throws {
        var opts: [String: String] = [:]
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--") {
                let next = i + 1 < arguments.count && !arguments[i + 1].hasPrefix("--") ? arguments[i + 1] : "true"
                opts[String(a.dropFirst(2))] = next
                i += next == "true" ? 1 : 2
            } else { i += 1 }
        }
        let series = Int(opts["series"] ?? "") ?? 100_000
        let minutes = Double(opts["minutes"] ?? "") ?? 2.5
        let hours = Double(opts["hours"] ?? "") ?? 3.1
        let backfillSeries = Int(opts["backfill-series"] ?? "") ?? 20_000
        let prometheus = opts["no-prometheus"] == nil ? BenchProcess.find("prometheus") : nil
        let promtool = opts["no-prometheus"] == nil ? BenchProcess.find("promtool") : nil
        let work = "/tmp/kansoku-bench-metrics-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        var summary: [String: Any] = ["suite": "metrics", "summary": true, "series": series]
        if minutes > 0 {
            let live = try await liveRun(series: series, minutes: minutes, prometheus: prometheus, work: work)
            summary.merge(live) { a, _ in a }
        }
        summary.merge(micro(series: series)) { a, _ in a }
        summary.merge(try await simulated(series: series, hours: hours, work: work)) { a, _ in a }
        summary.merge(try await backfill(series: backfillSeries, promtool: promtool, work: work)) { a, _ in a }
        func ratio(_ a: String, _ b: String) -> Double? {
            guard let x = summary[a] as? Double, let y = summary[b] as? Double, y > 0 else { return nil }
            return (x / y * 1000).rounded() / 1000
        }
        var ratios: [String: Any] = [:]
        ratios["bytes_per_sample_block_vs_prometheus"] = ratio("kansoku_backfill_block_bytes_per_sample", "prometheus_backfill_block_bytes_per_sample")
        ratios["bytes_per_sample_chunks_vs_prometheus"] = ratio("kansoku_backfill_chunk_bytes_per_sample", "prometheus_backfill_chunk_bytes_per_sample")
        ratios["bytes_per_sample_block_framed_vs_xor"] = ratio("kansoku_backfill_block_bytes_per_sample", "kansoku_xor_backfill_block_bytes_per_sample")
        ratios["memory_per_series_vs_prometheus"] = ratio("kansoku_live_rss_delta_per_series", "prometheus_live_rss_per_series")
        ratios["memory_per_series_marginal_vs_prometheus"] = ratio("kansoku_live_rss_delta_per_series", "prometheus_live_rss_delta_per_series")
        ratios["live_dir_bytes_per_sample_vs_prometheus"] = ratio("kansoku_live_dir_bytes_per_sample", "prometheus_live_dir_bytes_per_sample")
        ratios["append_inmemory_vs_target_5M"] = ratio("append_inmemory_ref_samples_per_sec", "append_target_samples_per_sec")
        ratios["append_inmemory_batch_vs_target_5M"] = ratio("append_inmemory_batch_samples_per_sec", "append_target_samples_per_sec")
        summary["append_target_samples_per_sec"] = nil
        summary["ratios"] = ratios.compactMapValues { $0 }
        emit(summary)
    }

    static func emit(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        FileHandle.standardOutput.write(data + Data([0x0A]))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = start.duration(to: .now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func rounded(_ x: Double, _ places: Double = 1000) -> Double { (x * places).rounded() / places }

    /// CPU time of the calling thread: on a shared machine wall time measures the neighbours.
    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    // MARK: (a) in-memory append

    static func micro(series: Int) -> [String: Any] {
        var w = BenchWorkload(series: series, seed: 1, instance: "micro")
        let head = InMemoryHead()
        let refs = w.labels.map { head.ref(for: $0) }
        let ticks = max(10, 12_000_000 / series)
        var t: Int64 = 1_700_000_000_000
        var rejected = 0
        var elapsed = 0.0, cpu = 0.0
        for _ in 0..<ticks {
            w.tick(seconds: 15)
            t += 15_000
            let values = w.values
            let start = ContinuousClock.now
            let c0 = threadCPU()
            values.withUnsafeBufferPointer { vs in
                for j in 0..<refs.count where !head.append(refs[j], t, vs[j]) { rejected += 1 }
            }
            cpu += threadCPU() - c0
            elapsed += seconds(since: start)
        }
        let n = Double(ticks * series)
        // The batch path: one stripe lock per run of refs sharing a stripe (what a scrape commit uses).
        let rawRefs = refs.map(\.rawValue)
        let bt = ticks
        var bcpu = 0.0
        for _ in 0..<bt {
            w.tick(seconds: 15)
            t += 15_000
            let stamps = [Int64](repeating: t, count: series)
            let values = w.values
            let c0 = threadCPU()
            rawRefs.withUnsafeBufferPointer { r in
                stamps.withUnsafeBufferPointer { ts in
                    values.withUnsafeBufferPointer { vs in rejected += head.append(r, ts, vs) }
                }
            }
            bcpu += threadCPU() - c0
        }
        // The label-set path: hash lookup of every sample's labels before the append.
        let lt = min(ticks, 20)
        var le = 0.0
        for _ in 0..<lt {
            w.tick(seconds: 15)
            t += 15_000
            let c0 = threadCPU()
            for j in 0..<series where !head.append(w.labels[j], t, w.values[j]) { rejected += 1 }
            le += threadCPU() - c0
        }
        // Rates per CPU-second of the appending thread (one core); wall time is reported too.
        let out: [String: Any] = [
            "append_inmemory_ref_samples_per_sec": rounded(n / cpu, 1),
            "append_inmemory_batch_samples_per_sec": rounded(Double(bt * series) / bcpu, 1),
            "append_inmemory_labels_samples_per_sec": rounded(Double(lt * series) / le, 1),
            "append_inmemory_ref_samples_per_wall_sec": rounded(n / elapsed, 1),
            "append_target_samples_per_sec": 5_000_000.0,
        ]
        emit(["suite": "metrics", "name": "append_inmemory", "samples": Int(n), "rejected": rejected,
              "threads": 1, "wall_seconds": rounded(elapsed), "cpu_seconds": rounded(cpu)].merging(out) { a, _ in a })
        return out
    }

    // MARK: (b) simulated hours

    static func simulated(series: Int, hours: Double, work: String) async throws -> [String: Any] {
        var w = BenchWorkload(series: series, seed: 2, instance: "sim")
        let rssBefore = BenchProcess.rss(getpid())
        let dir = work + "/simulated"
        let store = try MetricStore.open(MetricStoreConfig(directory: dir))
        let ticks = Int(hours * 240)
        var t = (Int64(Date().timeIntervalSince1970 * 1000) - Int64(hours * 3_600_000) - 7_200_000) / 7_200_000 * 7_200_000
        var appended = 0
        var appendSeconds = 0.0
        for _ in 0..<ticks {
            w.tick(seconds: 15)
            t += 15_000
            let batch = w.batch(at: t)
            let start = ContinuousClock.now
            appended += try await store.append(batch).appended
            appendSeconds += seconds(since: start)
        }
        try await store.compact()
        let st = store.stats()
        let rssAfter = BenchProcess.rss(getpid())
        let (blockSamples, blockBytes, chunkBytes) = blockFigures(dir)
        try await store.close()
        let out: [String: Any] = [
            "kansoku_sim_block_bytes_per_sample": blockSamples > 0 ? rounded(blockBytes / blockSamples) : 0,
            "kansoku_sim_chunk_bytes_per_sample": blockSamples > 0 ? rounded(chunkBytes / blockSamples) : 0,
            "kansoku_sim_rss_delta_per_series": rounded(Double(rssAfter - rssBefore) / Double(max(1, st.headSeries)), 1),
            "append_durable_samples_per_sec": appendSeconds > 0 ? rounded(Double(appended) / appendSeconds, 1) : 0,
        ]
        emit(["suite": "metrics", "name": "simulated_hours", "hours": hours, "samples": appended,
              "blocks": st.blocks, "block_samples": Int(blockSamples), "head_series": st.headSeries,
              "head_chunks": st.headChunks, "wal_fsyncs": st.walFsyncs,
              "rss_delta_mib": rounded(Double(rssAfter - rssBefore) / 1_048_576)].merging(out) { a, _ in a })
        return out
    }
}

// MARK: (c) live run beside Prometheus, and backfill through promtool

extension MetricsBench {
    static func liveRun(series: Int, minutes: Double, prometheus: String?, work: String) async throws -> [String: Any] {
        let server = try LoopbackExporter()
        defer { server.stop() }
        var w = BenchWorkload(series: series, seed: 3, instance: "127.0.0.1:\(server.port)")
        w.tick(seconds: 15)
        server.body.withLock { $0 = w.render() }
        var prom: BenchProcess?
        var promBaseline = 0
        if let prometheus {
            let dir = work + "/prometheus"
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            let config = """
                global: { scrape_interval: 15s, scrape_timeout: 10s }
                scrape_configs:
                  - job_name: bench
                    static_configs: [ { targets: ["127.0.0.1:\(server.port)"] } ]
                """
            try config.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
            let port = LoopbackExporter.freePort()
            let p = try BenchProcess(prometheus, [
                "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
                "--web.listen-address=127.0.0.1:\(port)",
            ], port: port, dataDir: dir + "/data")
            if try await p.waitReady() {
                prom = p
                promBaseline = BenchProcess.rss(p.pid)
            } else {
                p.stop()
            }
        }
        let rssBefore = BenchProcess.rss(getpid())
        let dir = work + "/live"
        let store = try MetricStore.open(MetricStoreConfig(directory: dir))
        let deadline = ContinuousClock.now + .milliseconds(Int(minutes * 60_000))
        var appended = 0
        var ticks = 0
        while ContinuousClock.now < deadline {
            let tickStart = ContinuousClock.now
            if ticks > 0 {
                w.tick(seconds: 15)
                server.body.withLock { $0 = w.render() }
            }
            appended += try await store.append(w.batch(at: Int64(Date().timeIntervalSince1970 * 1000))).appended
            ticks += 1
            let next = tickStart + .seconds(15)
            if next < deadline { try await Task.sleep(until: next, clock: .continuous) } else { break }
        }
        let st = store.stats()
        let rssAfter = BenchProcess.rss(getpid())
        let ourDir = Double(BenchProcess.du(dir))
        try await store.close()
        var out: [String: Any] = [
            "kansoku_live_rss_delta_per_series": rounded(Double(rssAfter - rssBefore) / Double(max(1, st.headSeries)), 1),
            "kansoku_live_dir_bytes_per_sample": rounded(ourDir / Double(max(1, appended))),
        ]
        var line: [String: Any] = ["suite": "metrics", "name": "live", "minutes": minutes, "ticks": ticks,
                                   "kansoku_samples": appended, "kansoku_head_series": st.headSeries,
                                   "kansoku_rss_delta_mib": rounded(Double(rssAfter - rssBefore) / 1_048_576)]
        if let p = prom {
            let metrics = p.scrapeOwnMetrics()
            let rss = BenchProcess.rss(p.pid)
            let headSeries = metrics["prometheus_tsdb_head_series"] ?? 0
            let samples = metrics["prometheus_tsdb_head_samples_appended_total"] ?? 0
            let size = Double(BenchProcess.du(p.dataDir))
            p.stop()
            out["prometheus_live_rss_per_series"] = rounded(Double(rss) / max(1, headSeries), 1)
            out["prometheus_live_rss_delta_per_series"] = rounded(Double(rss - promBaseline) / max(1, headSeries), 1)
            out["prometheus_live_dir_bytes_per_sample"] = rounded(size / max(1, samples))
            line["prometheus_head_series"] = headSeries
            line["prometheus_samples"] = samples
            line["prometheus_rss_mib"] = rounded(Double(rss) / 1_048_576)
            line["prometheus_baseline_rss_mib"] = rounded(Double(promBaseline) / 1_048_576)
        }
        emit(line.merging(out) { a, _ in a })
        return out
    }

    static func backfill(series: Int, promtool: String?, work: String) async throws -> [String: Any] {
        var w = BenchWorkload(series: series, seed: 4, instance: "127.0.0.1:9100")
        let samplesPerSeries = 480
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let start = (now - 6 * 3_600_000) / 7_200_000 * 7_200_000
        // values[tick][series]: 2 h at 15 s, generated once for both stores.
        var values: [[Double]] = []
        for _ in 0..<samplesPerSeries {
            w.tick(seconds: 15)
            values.append(w.values)
        }
        // The same samples into blocks of both formats: compressed frames (what backfill and
        // compaction write) and Prometheus's XOR chunks (what they wrote before).
        let seq = (0..<series).lazy.flatMap { s in
            (0..<samplesPerSeries).lazy.map { k in (w.labels[s], start + Int64(k) * 15_000, values[k][s]) }
        }
        let dir = work + "/backfill", xorDir = work + "/backfill-xor"
        let store = try MetricStore.open(MetricStoreConfig(directory: dir))
        var xorConfig = MetricStoreConfig(directory: xorDir)
        xorConfig.sealedChunkFormat = .prometheusXOR
        let xorStore = try MetricStore.open(xorConfig)
        let began = ContinuousClock.now
        let r = try await store.importBlocks(samples: seq)
        let ourSeconds = seconds(since: began)
        let xorBegan = ContinuousClock.now
        _ = try await xorStore.importBlocks(samples: seq)
        let xorSeconds = seconds(since: xorBegan)
        let queries = try await compareEncodings(xor: xorStore, framed: store, start: start,
                                                 end: start + Int64(samplesPerSeries - 1) * 15_000)
        try await store.close()
        try await xorStore.close()
        let ours = blockFigures(dir), xorFigures = blockFigures(xorDir)
        var out: [String: Any] = [
            "kansoku_backfill_block_bytes_per_sample": ours.samples > 0 ? rounded(ours.block / ours.samples) : 0,
            "kansoku_backfill_chunk_bytes_per_sample": ours.samples > 0 ? rounded(ours.chunks / ours.samples) : 0,
            "kansoku_xor_backfill_block_bytes_per_sample": xorFigures.samples > 0 ? rounded(xorFigures.block / xorFigures.samples) : 0,
            "kansoku_xor_backfill_chunk_bytes_per_sample": xorFigures.samples > 0 ? rounded(xorFigures.chunks / xorFigures.samples) : 0,
        ]
        out.merge(queries) { a, _ in a }
        var line: [String: Any] = ["suite": "metrics", "name": "backfill", "series": series,
                                   "kansoku_samples": r.samples, "kansoku_seconds": rounded(ourSeconds),
                                   "kansoku_xor_seconds": rounded(xorSeconds)]
        if let promtool {
            let file = work + "/backfill.om"
            _ = FileManager.default.createFile(atPath: file, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            var buf: [UInt8] = []
            buf.reserveCapacity(8 << 20)
            for s in 0..<series {
                for k in 0..<samplesPerSeries {
                    buf += w.prefixes[s]
                    BenchWorkload.appendValue(values[k][s], to: &buf)
                    buf.append(UInt8(ascii: " "))
                    buf += Array(String((start + Int64(k) * 15_000) / 1000).utf8)
                    buf.append(UInt8(ascii: "\n"))
                }
                if buf.count > 8 << 20 {
                    h.write(Data(buf))
                    buf.removeAll(keepingCapacity: true)
                }
            }
            buf += Array("# EOF\n".utf8)
            h.write(Data(buf))
            try h.close()
            let pdir = work + "/promtool-out"
            let t0 = ContinuousClock.now
            let code = BenchProcess.runToEnd(promtool, ["tsdb", "create-blocks-from", "openmetrics", file, pdir])
            let promSeconds = seconds(since: t0)
            try? FileManager.default.removeItem(atPath: file)
            let theirs = blockFigures(pdir)
            line["promtool_exit"] = Int(code)
            line["prometheus_samples"] = Int(theirs.samples)
            line["prometheus_seconds"] = rounded(promSeconds)
            if theirs.samples > 0 {
                out["prometheus_backfill_block_bytes_per_sample"] = rounded(theirs.block / theirs.samples)
                out["prometheus_backfill_chunk_bytes_per_sample"] = rounded(theirs.chunks / theirs.samples)
            }
        }
        emit(line.merging(out) { a, _ in a })
        return out
    }

    /// Sums over the block directories in `dir`: samples (meta.json), whole-block and chunk bytes.
    static func blockFigures(_ dir: String) -> (samples: Double, block: Double, chunks: Double) {
        var s = 0.0, b = 0.0, c = 0.0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.count == 26 {
            let path = dir + "/" + name
            guard let data = FileManager.default.contents(atPath: path + "/meta.json"),
                  let meta = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            s += ((meta["stats"] as? [String: Any])?["numSamples"] as? Double) ?? 0
            b += Double(BenchProcess.du(path))
            c += Double(BenchProcess.du(path + "/chunks"))
        }
        return (s, b, c)
    }
}

// MARK: workload

/// The synthetic target of the peers' side-by-side harness: per pod 100 series — 30
/// `http_requests_total{code,method,path}` counters, 3 classic histograms (9 buckets + +Inf,
/// `_sum`, `_count`) and 34 gauges (random-walk queue depths, zeros, 2-decimal temperatures,
/// a 4 KiB-step memory gauge, constants). Values move on every tick.
struct BenchWorkload {
    enum Kind { case counter(rate: Double), bucket(le: Double, path: Int), sum(path: Int), count(path: Int),
                walk, zero, temperature, memory, constant }

    private(set) var labels: [Labels] = []
    private(set) var prefixes: [[UInt8]] = []
    private(set) var values: [Double] = []
    private var kinds: [Kind] = []
    private var pathRequests: [Int] = []  // requests of the current tick per (pod, path)
    private var rng: UInt64

    static let codes = [("200", 0.85), ("201", 0.05), ("400", 0.04), ("404", 0.04), ("500", 0.02)]
    static let methods = [("GET", 0.7), ("POST", 0.3)]
    static let paths = [("/api/v1/users", 0.5), ("/api/v1/orders", 0.3), ("/healthz", 0.2)]
    static let les: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, .infinity]

    init(series: Int, seed: UInt64, instance: String) {
        rng = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let pods = max(1, series / 100)
        pathRequests = Array(repeating: 0, count: pods * 3)
        for pod in 0..<pods {
            let podName = "pod-\(pod)"
            let rate = 2 + 8 * random()
            func add(_ name: String, _ extra: [(String, String)], _ kind: Kind, _ initial: Double) {
                var pairs = ["__name__": name, "job": "bench", "instance": instance, "pod": podName]
                for (k, v) in extra { pairs[k] = v }
                let l = Labels(pairs)
                labels.append(l)
                var p = name + "{"
                p += l.filter { $0.name != "__name__" && $0.name != "job" && $0.name != "instance" }
                    .map { "\($0.name)=\"\($0.value)\"" }.joined(separator: ",")
                prefixes.append(Array((p + "} ").utf8))
                kinds.append(kind)
                values.append(initial)
            }
            for (c, cw) in Self.codes { for (m, mw) in Self.methods { for (path, pw) in Self.paths {
                add("http_requests_total", [("code", c), ("method", m), ("path", path)], .counter(rate: rate * cw * mw * pw), 0)
            } } }
            for (pi, (path, _)) in Self.paths.enumerated() {
                for le in Self.les {
                    let leText = le.isInfinite ? "+Inf" : String(le)
                    add("http_request_duration_seconds_bucket", [("path", path), ("le", leText)], .bucket(le: le, path: pod * 3 + pi), 0)
                }
                add("http_request_duration_seconds_sum", [("path", path)], .sum(path: pod * 3 + pi), 0)
                add("http_request_duration_seconds_count", [("path", path)], .count(path: pod * 3 + pi), 0)
            }
            for q in 0..<16 { add("app_queue_depth", [("queue", "q\(q)")], .walk, Double(Int(random() * 50))) }
            for q in 16..<20 { add("app_queue_depth", [("queue", "q\(q)")], .zero, 0) }
            for s in 0..<4 { add("app_temperature_celsius", [("sensor", "s\(s)")], .temperature, 40 + (random() * 2000).rounded() / 100) }
            add("app_memory_bytes", [], .memory, 256 * 1_048_576)
            for k in 0..<8 { add("app_config_limit", [("name", "limit\(k)")], .constant, Double(100 * (k + 1))) }
            add("app_up", [], .constant, 1)
        }
        if labels.count > series {
            labels.removeLast(labels.count - series)
            prefixes.removeLast(prefixes.count - series)
            values.removeLast(values.count - series)
            kinds.removeLast(kinds.count - series)
        }
    }

    private mutating func random() -> Double {
        rng ^= rng << 13
        rng ^= rng >> 7
        rng ^= rng << 17
        return Double(rng >> 11) / Double(1 << 53)
    }

    mutating func tick(seconds: Double) {
        for p in pathRequests.indices {
            pathRequests[p] = Int(Self.paths[p % 3].1 * 6 * seconds * (0.5 + random()))
        }
        let mean = 0.08
        for i in values.indices {
            switch kinds[i] {
            case .counter(let rate): values[i] += Double(Int(rate * seconds * (0.5 + random()) + random()))
            case .bucket(let le, let p):
                let cdf = le.isInfinite ? 1 : 1 - exp(-le / mean)
                values[i] += (Double(pathRequests[p]) * cdf).rounded(.down)
            case .sum(let p): values[i] += Double(pathRequests[p]) * mean * (0.9 + 0.2 * random())
            case .count(let p): values[i] += Double(pathRequests[p])
            case .walk: values[i] = max(0, values[i] + Double(Int(random() * 7) - 3))
            case .zero, .constant: break
            case .temperature: values[i] = ((values[i] + random() - 0.5) * 100).rounded() / 100
            case .memory: values[i] = max(4096, values[i] + Double(Int(random() * 9) - 4) * 4096)
            }
        }
    }

    func batch(at t: Int64) -> [(labels: Labels, t: Int64, v: Double)] {
        var out: [(labels: Labels, t: Int64, v: Double)] = []
        out.reserveCapacity(labels.count)
        for i in labels.indices { out.append((labels[i], t, values[i])) }
        return out
    }

    /// Text exposition format 0.0.4 of the current values.
    func render() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(labels.count * 80)
        for i in labels.indices {
            out += prefixes[i]
            Self.appendValue(values[i], to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func appendValue(_ v: Double, to out: inout [UInt8]) {
        if v == v.rounded(), abs(v) < 1e15 { out += Array(String(Int64(v)).utf8) } else { out += Array(String(v).utf8) }
    }
}
