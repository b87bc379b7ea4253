import Foundation
import KansokuCore
import KansokuScrape

/// `kansoku-bench scrape`: exposition parsing and the scrape ingest path (parse, series cache,
/// target labels, staleness bookkeeping) on a 100k-series text body shaped like the peers'
/// benchmark target, beside Python prometheus_client's parser on the same bytes in the same run.
/// Options: --series N (100000) --rounds R (5) --corpus DIR (adds ../shared textparse files).
enum ScrapeBench {
    static func run(arguments: [String]) async throws {
        var series = 100_000, rounds = 5
        var corpus: String?
        var i = 0
        while i < arguments.count {
            switch arguments[i] {
            case "--series": series = Int(arguments[i + 1]) ?? series; i += 2
            case "--rounds": rounds = Int(arguments[i + 1]) ?? rounds; i += 2
            case "--corpus": corpus = arguments[i + 1]; i += 2
            default: i += 1
            }
        }
        let body = syntheticBody(series: series)
        var summary: [String: Any] = ["suite": "scrape", "summary": true, "series": series, "body_bytes": body.count]

        let parse = try best(rounds) { () throws -> Int in
            var p = PromTextParser(body)
            var n = 0
            var sum = 0.0
            while let e = try p.next() { if case .sample = e { n += 1; sum += p.sampleValue } }
            precondition(sum.isFinite || sum.isNaN)
            return n
        }
        emit(["name": "parse_text_0.0.4", "samples": parse.count, "seconds": parse.seconds,
              "samples_per_sec": Double(parse.count) / parse.seconds, "mb_per_sec": Double(body.count) / parse.seconds / 1e6])

        let target = TargetLabels(labels: Labels(["job": "bench", "instance": "127.0.0.1:9999"]), honorLabels: false)
        var cache = ScrapeCache(target: target)
        let coldStart = ContinuousClock.now
        let cold = try cache.ingest(body, format: .prometheusText, time: 1)
        let coldSeconds = seconds(since: coldStart)
        emit(["name": "scrape_ingest_cold", "samples": cold.scraped, "seconds": coldSeconds,
              "samples_per_sec": Double(cold.scraped) / coldSeconds])
        var t: Int64 = 2
        let warm = try best(rounds) { () throws -> Int in
            t += 1
            return try cache.ingest(body, format: .prometheusText, time: t).scraped
        }
        emit(["name": "scrape_ingest_warm", "samples": warm.count, "seconds": warm.seconds,
              "samples_per_sec": Double(warm.count) / warm.seconds])
        summary["kansoku_parse_samples_per_sec"] = Double(parse.count) / parse.seconds
        summary["kansoku_scrape_warm_samples_per_sec"] = Double(warm.count) / warm.seconds
        summary["kansoku_scrape_cold_samples_per_sec"] = Double(cold.scraped) / coldSeconds

        if let corpus {
            let dir = corpus + "/conformance/exposition/prometheus-textparse"
            for (file, format) in [("alltypes.237mfs.prom.txt", ExpositionFormat.prometheusText),
                                   ("alltypes.5mfs.om.txt", .openMetrics)] {
                guard let data = FileManager.default.contents(atPath: dir + "/" + file) else { continue }
                let bytes = [UInt8](data)
                let r = try best(rounds * 20) { () throws -> Int in try parseExposition(bytes, format: format).samples.count }
                emit(["name": "parse_file", "file": file, "samples": r.count, "seconds": r.seconds,
                      "mb_per_sec": Double(bytes.count) / r.seconds / 1e6])
            }
        }

        if let python = pythonParser(body: body, rounds: rounds) {
            emit(["name": "python_prometheus_client_parse", "samples": python.samples, "seconds": python.seconds,
                  "samples_per_sec": Double(python.samples) / python.seconds])
            summary["python_parse_samples_per_sec"] = Double(python.samples) / python.seconds
            summary["ratios"] = [
                "parse_vs_python_prometheus_client": rounded(Double(parse.count) / parse.seconds / (Double(python.samples) / python.seconds)),
                "scrape_warm_vs_python_parse_only": rounded(Double(warm.count) / warm.seconds / (Double(python.samples) / python.seconds)),
            ]
        } else {
            summary["python_parse_samples_per_sec"] = NSNull()
            FileHandle.standardError.write(Data("SKIPPED: python3 with prometheus_client not installed; no peer ratio\n".utf8))
        }
        emit(summary)
    }

    /// 1,000 pods × 100 series: 30 request counters, 3 classic histograms (12 samples each),
    /// 34 gauges, with HELP/TYPE, as the peers' 100k-series target.
    static func syntheticBody(series: Int) -> [UInt8] {
        let pods = max(1, series / 100)
        var out = ""
        out.reserveCapacity(series * 80)
        let codes = ["200", "201", "404", "500", "503"], methods = ["GET", "POST"], paths = ["/api", "/login", "/static"]
        out += "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\n"
        for pod in 0..<pods {
            for c in codes { for m in methods { for p in paths {
                out += "http_requests_total{code=\"\(c)\",method=\"\(m)\",path=\"\(p)\",pod=\"pod-\(pod)\"} \(pod * 31 + c.count * 7)\n"
            } } }
        }
        out += "# HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n"
        let bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"]
        for pod in 0..<pods {
            for p in paths {
                for (k, le) in bounds.enumerated() {
                    out += "http_request_duration_seconds_bucket{path=\"\(p)\",pod=\"pod-\(pod)\",le=\"\(le)\"} \(k * 10 + pod)\n"
                }
                out += "http_request_duration_seconds_sum{path=\"\(p)\",pod=\"pod-\(pod)\"} \(Double(pod) * 1.37 + 0.001)\n"
                out += "http_request_duration_seconds_count{path=\"\(p)\",pod=\"pod-\(pod)\"} \(90 + pod)\n"
            }
        }
        out += "# HELP app_queue_depth Queue depth.\n# TYPE app_queue_depth gauge\n"
        for pod in 0..<pods {
            for q in 0..<34 { out += "app_queue_depth{queue=\"q\(q)\",pod=\"pod-\(pod)\"} \(Double(q) * 0.25)\n" }
        }
        return Array(out.utf8)
    }

    /// Best of `rounds` timings of `body`, which returns the number of samples handled.
    static func best(_ rounds: Int, _ body: () throws -> Int) throws -> (count: Int, seconds: Double) {
        var bestSeconds = Double.infinity, count = 0
        for _ in 0..<max(1, rounds) {
            let start = ContinuousClock.now
            count = try body()
            bestSeconds = min(bestSeconds, seconds(since: start))
        }
        return (count, bestSeconds)
    }

    /// prometheus_client's `text_string_to_metric_families` on the same body, best of `rounds`.
    static func pythonParser(body: [UInt8], rounds: Int) -> (samples: Int, seconds: Double)? {
        let path = "/tmp/kansoku-bench-scrape-\(getpid()).prom"
        guard FileManager.default.createFile(atPath: path, contents: Data(body)) else { return nil }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
        import sys, time
        from prometheus_client.parser import text_string_to_metric_families
        text = open(sys.argv[1]).read()
        best, n = 1e9, 0
        for _ in range(int(sys.argv[2])):
            t = time.perf_counter()
            n = sum(len(f.samples) for f in text_string_to_metric_families(text))
            best = min(best, time.perf_counter() - t)
        print(n, best)
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, path, "\(max(1, min(rounds, 3)))"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let parts = String(decoding: data, as: UTF8.self).split(separator: " ")
        guard p.terminationStatus == 0, parts.count == 2, let n = Int(parts[0]),
              let s = Double(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return (n, s)
    }

    static func emit(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        FileHandle.standardOutput.write(data + Data([0x0A]))
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = start.duration(to: .now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
