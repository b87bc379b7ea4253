import Foundation
import KansokuCore
import KansokuMetricStore
import KansokuPromQL

/// `kansoku-bench promql`: PromQL query latency of Kansoku's engine beside a real Prometheus
/// holding the same samples (backfilled with `promtool tsdb create-blocks-from openmetrics`).
/// Options: --series N (5000) counters, and as many histogram bucket series (N/10 pods × 10
/// `le`), over 1 h at 15 s (--span D for less or more, 10m to 24h); --runs N (5),
/// --no-prometheus, --only NAME (one query, e.g. to profile). Kansoku runs in-process over its metric store; Prometheus is asked over loopback
/// HTTP. Every result is compared with Prometheus's value by value (relative difference at most
/// 1e-9), not only by series count. `--scrape 10m [--binary PATH]` instead has a real server,
/// Prometheus and VictoriaMetrics scrape the series live (`PromQLScrapeBench`).
enum PromQLBench {
    static func run(arguments: [String]) async throws {
        var opts: [String: String] = [:]
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--") {
                let key = String(a.dropFirst(2))
                if i + 1 < arguments.count, !arguments[i + 1].hasPrefix("--") {
                    opts[key] = arguments[i + 1]
                    i += 1
                } else {
                    opts[key] = ""
                }
            }
            i += 1
        }
        let series = Int(opts["series"] ?? "") ?? 5000
        let runs = Int(opts["runs"] ?? "") ?? 5
        guard (10...10_000_000).contains(series) else {
            throw LogsIngestBench.BenchError.usage("--series \(series): expected 10 to 10000000 (counters; as many bucket series again)")
        }
        guard (1...10_000).contains(runs) else { throw LogsIngestBench.BenchError.usage("--runs \(runs): expected 1 to 10000") }
        if let scrape = opts["scrape"] {
            // The queries read 5- and 10-minute windows and a 10-minute range: 6 minutes of
            // scrapes at least, and no more than a day.
            guard let d = PromDuration(scrape), (360_000...86_400_000).contains(d.milliseconds) else {
                throw LogsIngestBench.BenchError.usage("--scrape \(scrape): expected a duration from 6m to 24h, such as 10m")
            }
            let binary = opts["binary"] ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kansoku").path
            return try await PromQLScrapeBench.run(series: series, runs: runs, scrapeSeconds: Double(d.milliseconds) / 1000, binary: binary)
        }
        let step: Int64 = 15_000
        let hour: Int64 = 3_600_000
        guard let span = PromDuration(opts["span"] ?? "1h")?.milliseconds, (600_000...86_400_000).contains(span) else {
            throw LogsIngestBench.BenchError.usage("--span \(opts["span"] ?? ""): expected a duration from 10m to 24h")
        }
        // Data that ended three hours ago, so Prometheus takes the backfilled block as is.
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let end = (nowMs - 3 * hour) / 60_000 * 60_000
        let start = end - span
        let work = NSTemporaryDirectory() + "kansoku-promql-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let workload = Workload(series: series)
        let labelSets = workload.labelSets
        let value = workload.value
        let steps = Int(span / step) + 1
        let queries = Self.queries(end: end, hourStart: span >= hour ? end - hour : nil)
        if let only = opts["only"], !queries.contains(where: { $0.name == only }) {
            throw LogsIngestBench.BenchError.usage("--only \(only): expected one of \(queries.map(\.name).joined(separator: ", "))")
        }

        // Kansoku: the metric store, written per scrape as the scraper does.
        let rssBefore = BenchProcess.rss(getpid())
        let store = try MetricStore.open(MetricStoreConfig(directory: work + "/kansoku"))
        let loadStart = ContinuousClock.now
        var batch: [(labels: Labels, t: Int64, v: Double)] = []
        batch.reserveCapacity(labelSets.count)
        for k in 0..<steps {
            for s in labelSets.indices { batch.append((labelSets[s], start + Int64(k) * step, value(s, k))) }
            _ = try await store.append(batch)
            batch.removeAll(keepingCapacity: true)
        }
        // Resident memory the store added for its series and their hour of samples (all in the
        // head, as after an hour of scraping), per series.
        let bytesPerSeries = Double(BenchProcess.rss(getpid()) - rssBefore) / Double(labelSets.count)
        emit(["suite": "promql", "phase": "load", "series": labelSets.count, "samples": labelSets.count * steps,
              "kansoku_seconds": rounded(seconds(since: loadStart)), "kansoku_rss_bytes_per_series": Int(bytesPerSeries)])
        let engine = PromQLEngine(queryable: store)

        var prom: BenchProcess?
        if opts["no-prometheus"] == nil, let prometheus = BenchProcess.find("prometheus"), let promtool = BenchProcess.find("promtool") {
            prom = try await startPrometheus(prometheus, promtool, work: work, labelSets: labelSets, steps: steps,
                                             start: start, step: step, value: value)
        }
        defer { prom?.stop() }

        var summary: [String: Any] = ["suite": "promql", "summary": true, "series": series]
        for q in queries where opts["only"].map({ $0 == q.name }) ?? true {
            var ours: [Double] = []
            var ourSeries = 0
            var ourScalar = false
            var ourValues: [String: [Double]] = [:]
            // CPU time as well as wall time: on a shared machine it moves far less.
            let cpuBefore = LogsIngestBench.cpuSeconds(RUSAGE_SELF)
            for _ in 0..<runs {
                let t0 = ContinuousClock.now
                let v: PromQLValue
                if let rs = q.rangeStart {
                    v = try await engine.rangeQuery(q.q, start: rs, end: end, step: q.step)
                } else {
                    v = try await engine.instantQuery(q.q, at: end)
                }
                ours.append(seconds(since: t0))
                switch v {
                case .vector(let x): ourSeries = x.count
                case .matrix(let x): ourSeries = x.count
                default: ourSeries = 1; ourScalar = true
                }
                ourValues = valuesByLabels(v)
            }
            let cpuPerQuery = (LogsIngestBench.cpuSeconds(RUSAGE_SELF) - cpuBefore) / Double(runs)
            var line: [String: Any] = ["suite": "promql", "query": q.name, "expr": q.q, "kansoku_median_ms": rounded(median(ours) * 1000),
                                       "kansoku_cpu_ms_per_query": rounded(cpuPerQuery * 1000), "kansoku_result_series": ourSeries]
            if let prom {
                let enc = q.q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q.q
                let path = q.rangeStart.map {
                    "/api/v1/query_range?query=\(enc)&start=\(Double($0) / 1000)&end=\(Double(end) / 1000)&step=\(Double(q.step) / 1000)"
                } ?? "/api/v1/query?query=\(enc)&time=\(Double(end) / 1000)"
                var theirs: [Double] = []
                var body = ""
                for _ in 0..<runs {
                    let t0 = ContinuousClock.now
                    body = LoopbackExporter.get(port: prom.port, path: path) ?? ""
                    theirs.append(seconds(since: t0))
                }
                let theirSeries = body.components(separatedBy: "\"metric\"").count - 1
                line["prometheus_median_ms"] = rounded(median(theirs) * 1000)
                line["prometheus_result_series"] = theirSeries
                // Same samples on both sides, so the same number of result series (a scalar
                // result has no "metric" objects in Prometheus's answer).
                if !body.contains("\"status\":\"success\"") {
                    BenchOracle.mismatch("promql", "\(q.name): Prometheus did not answer \(q.q): \(body.prefix(200))")
                } else if !ourScalar && theirSeries != ourSeries {
                    BenchOracle.mismatch("promql", "\(q.name): \(ourSeries) series, Prometheus \(theirSeries) for \(q.q)")
                } else if !ourScalar {
                    let differing = differingValues(ourValues, prometheusValues(body))
                    line["values_compared"] = ourValues.values.reduce(0) { $0 + $1.count }
                    line["values_equal_to_prometheus"] = differing.isEmpty
                    if let first = differing.first {
                        BenchOracle.mismatch("promql", "\(q.name): \(differing.count) series differ from Prometheus's, e.g. \(first)")
                    }
                }
                line["ratio_vs_prometheus"] = rounded(median(ours) / max(median(theirs), 1e-9))
                summary["\(q.name)_vs_prometheus"] = line["ratio_vs_prometheus"]
            }
            summary["\(q.name)_kansoku_ms"] = line["kansoku_median_ms"]
            emit(line)
        }
        try await store.close()
        emit(summary)
    }

    /// The bench's series: `series` counters `http_requests_total` and as many histogram bucket
    /// series (`series / 10` pods × 10 `le`). Counters grow by a per-series step each scrape;
    /// buckets are cumulative in `le`.
    struct Workload: Sendable {
        let series: Int
        let labelSets: [Labels]

        init(series: Int) {
            self.series = series
            let codes = ["200", "201", "400", "404", "500"]
            let bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
            labelSets = (0..<series).map { s in
                Labels(["__name__": "http_requests_total", "code": codes[s % codes.count], "job": "job\(s % 10)", "instance": "pod-\(s / 10)"])
            } + (0..<series).map { j in
                Labels(["__name__": "http_request_duration_seconds_bucket", "le": bounds[j % 10], "job": "job\(j / 10 % 10)",
                        "instance": "pod-\(j / 10)"])
            }
        }

        /// Series `s`'s value at scrape `k`.
        func value(_ s: Int, _ k: Int) -> Double {
            if s < series { return Double(k * (s % 7 + 1) * 3) }
            let j = s - series
            return Double(k * (j / 10 % 7 + 1) * (j % 10 + 1))
        }
    }

    /// The timed queries, evaluated at `end`; the 1-hour range only when the data has an hour
    /// (`hourStart`).
    static func queries(end: Int64, hourStart: Int64?) -> [(name: String, q: String, rangeStart: Int64?, step: Int64)] {
        let step: Int64 = 15_000
        let rateQuery = "sum by (code) (rate(http_requests_total[5m]))"
        return [
            ("instant_sum_rate", rateQuery, nil, 0),
            ("instant_histogram_quantile",
             "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", nil, 0),
            ("instant_count_all_series", "count({__name__=~\".+\"})", nil, 0),
            ("range_10m_sum_rate", rateQuery, end - 10 * 60_000, step),
        ] + (hourStart.map { [("range_1h_sum_rate", rateQuery, $0, step)] } ?? []) + [
            ("instant_quantile_over_time", "quantile(0.9, max_over_time(http_requests_total[10m]))", nil, 0),
            ("instant_topk", "topk(5, rate(http_requests_total[5m]))", nil, 0),
        ]
    }

    static func startPrometheus(_ prometheus: String, _ promtool: String, work: String, labelSets: [Labels], steps: Int,
                                start: Int64, step: Int64, value: (Int, Int) -> Double) async throws -> BenchProcess? {
        let dir = work + "/prometheus"
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        // OpenMetrics, series-major, timestamps in seconds.
        let file = dir + "/data.om"
        guard FileManager.default.createFile(atPath: file, contents: nil) else { return nil }
        guard let h = FileHandle(forWritingAtPath: file) else { return nil }
        var out: [UInt8] = []
        for (s, l) in labelSets.enumerated() {
            let name = l["__name__"] ?? ""
            let rest = Labels(l.filter { $0.name != "__name__" })
            let prefix = Array((name + rest.description.replacingOccurrences(of: ", ", with: ",")).utf8)
            for k in 0..<steps {
                out += prefix
                out += Array(" \(Int64(value(s, k))) \((start + Int64(k) * step) / 1000)\n".utf8)
            }
            if out.count > 1 << 22 {
                h.write(Data(out))
                out.removeAll(keepingCapacity: true)
            }
        }
        out += Array("# EOF\n".utf8)
        h.write(Data(out))
        try h.close()
        let t0 = ContinuousClock.now
        guard BenchProcess.runToEnd(promtool, ["tsdb", "create-blocks-from", "openmetrics", file, dir + "/data"]) == 0 else {
            emit(["suite": "promql", "error": "promtool create-blocks-from openmetrics failed"])
            return nil
        }
        emit(["suite": "promql", "phase": "load", "prometheus_backfill_seconds": rounded(seconds(since: t0))])
        try "global:\n  scrape_interval: 1h\n".write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = 19_000 + Int(getpid() % 1000)
        let p = try BenchProcess(prometheus, [
            "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
            "--storage.tsdb.retention.time=10y", "--web.listen-address=127.0.0.1:\(port)",
        ], port: port, dataDir: dir + "/data")
        guard try await p.waitReady() else {
            p.stop()
            emit(["suite": "promql", "error": "prometheus did not become ready"])
            return nil
        }
        return p
    }

    /// Our result as label text → values (a vector's one value, a matrix's points in order).
    static func valuesByLabels(_ v: PromQLValue) -> [String: [Double]] {
        switch v {
        case .vector(let x): return Dictionary(x.map { (labelKey($0.labels.map { ($0.name, $0.value) }), [$0.v]) }) { a, _ in a }
        case .matrix(let x): return Dictionary(x.map { (labelKey($0.labels.map { ($0.name, $0.value) }), $0.points.map(\.v)) }) { a, _ in a }
        default: return [:]
        }
    }

    /// Prometheus's answer (`/api/v1/query` or `query_range` JSON) in the same form.
    static func prometheusValues(_ body: String) -> [String: [Double]] {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
              let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [:] }
        var out: [String: [Double]] = [:]
        for r in result {
            let metric = (r["metric"] as? [String: String]) ?? [:]
            let points = (r["values"] as? [[Any]]) ?? ((r["value"] as? [Any]).map { [$0] } ?? [])
            out[labelKey(metric.map { ($0.key, $0.value) })] = points.compactMap { ($0.last as? String).flatMap(Double.init) }
        }
        return out
    }

    static func labelKey(_ pairs: [(String, String)]) -> String {
        pairs.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    /// Series whose values differ (relative difference above 1e-9, or a different count).
    static func differingValues(_ a: [String: [Double]], _ b: [String: [Double]]) -> [String] {
        var out: [String] = []
        for key in Set(a.keys).union(b.keys).sorted() {
            let x = a[key] ?? [], y = b[key] ?? []
            let same = x.count == y.count && zip(x, y).allSatisfy { p, q in
                p == q || (p.isNaN && q.isNaN) || abs(p - q) <= 1e-9 * max(abs(p), abs(q))
            }
            if !same { out.append("{\(key)}: \(x.prefix(3)) vs \(y.prefix(3))") }
        }
        return out
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s[s.count / 2]
    }

    static func emit(_ object: [String: Any]) {
        if let d = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), let s = String(data: d, encoding: .utf8) {
            print(s)
        }
    }

    static func seconds(since t: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - t
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
