import Foundation
import KansokuCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `kansoku-bench soak --corpus DIR [--duration 30m | --once]`: the push path under sustained
/// load, against a real `kansoku server` on loopback. Clients push the corpus's lines as Loki
/// JSON bodies with fresh timestamps (each client owns its streams, so timestamps only grow);
/// every second the data dir (WAL, chunks) and the server's RSS are sampled. The store must
/// stay within `2 × chunk bytes + 64 MiB` at every sample and RSS must level off. At the end a
/// count query is checked against the number of acknowledged lines (exit 1 on a mismatch),
/// then the server is killed (-9) and the time until it answers `/ready` again is the replay
/// time. `--once` pushes every corpus line exactly once (the push path of `logs-ingest`).
///
/// Options: `--clients N` (4), `--lines N` per stream per push (1000), `--streams-per-push N`
/// (4), `--rate MB` (line megabytes per second over all clients; default unthrottled),
/// `--binary PATH` (the `kansoku` beside this executable), `--data DIR`, `--warmup 60s`.
enum SoakBench {
    struct Options {
        var corpus = ""
        var duration: Double = 240
        var once = false
        var clients = 4
        var lines = 1000
        var streamsPerPush = 4
        var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kansoku").path
        var data: String?
        var warmup: Double = 60
        /// Line bytes per second over all clients (0: as fast as the server answers).
        var rate: Double = 0
    }

    static func run(arguments: [String]) async throws {
        let o = try parse(arguments)
        let corpus = try SoakCorpus.load(o.corpus)
        let scratch = o.data ?? NSTemporaryDirectory() + "kansoku-soak-\(getpid())"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let config = scratch + "/kansoku.yaml"
        try SoakServer.config.write(toFile: config, atomically: true, encoding: .utf8)
        let dataDir = scratch + "/data"
        emit(["suite": "soak", "phase": "setup", "corpus": o.corpus, "streams": corpus.streams.count, "corpus_bytes": corpus.rawBytes,
              "clients": o.clients, "lines_per_stream_per_push": o.lines, "streams_per_push": o.streamsPerPush,
              "mode": o.once ? "once" : "sustained \(Int(o.duration)) s", "rate_mb_per_s": o.rate > 0 ? o.rate / 1e6 : "unthrottled", "binary": o.binary, "load_average": LogsIngestBench.loadAverage()])

        var server = try SoakServer(binary: o.binary, data: dataDir, config: config)
        let sampler = DataDirSampler(suite: "soak", logsDir: dataDir + "/logs", pid: server.pid)
        sampler.start()
        let began = Date()
        let deadline = o.once ? Date.distantFuture : began.addingTimeInterval(o.duration)
        let port = server.port
        let results = runPushers(clients: o.clients, { c in
            SoakPusher(client: c, of: o.clients, corpus: corpus, port: port, lines: o.lines, streamsPerPush: o.streamsPerPush,
                       once: o.once, bytesPerSecond: o.rate / Double(o.clients))
        }, until: deadline)
        let pushSeconds = Date().timeIntervalSince(began)
        sampler.stop()
        let samples = sampler.samples
        let lastSample = samples.last ?? DataDirSample(second: 0, total: 0, wal: 0, chunks: 0, rss: 0)

        // Oracle: every acknowledged line is counted once.
        let counted = try server.countLines(since: results.firstTimestamp, through: results.lastTimestamp)
        let exact = counted == results.lines

        // Replay: kill -9 and time the restart until /ready.
        server.kill9()
        let restartBegan = Date()
        server = try SoakServer(binary: o.binary, data: dataDir, config: config)
        let replaySeconds = Date().timeIntervalSince(restartBegan)
        let countedAfter = try server.countLines(since: results.firstTimestamp, through: results.lastTimestamp)
        server.kill9()

        let settled = samples.filter { Double($0.second) >= min(o.warmup, pushSeconds / 2) }
        let rssSlope = slopeMiBPerMinute(settled.map { (Double($0.second), Double($0.rss)) })
        let latencies = results.latencies.sorted()
        emit(["suite": "soak", "summary": true,
              "seconds": round3(pushSeconds), "pushes": results.pushes, "errors": results.errors,
              "first_error": results.firstError ?? "", "lines_acknowledged": results.lines,
              "mb_per_s": round1(Double(results.bytes) / 1e6 / pushSeconds),
              "push_p50_ms": round3(percentile(latencies, 0.5) * 1000), "push_p99_ms": round3(percentile(latencies, 0.99) * 1000),
              "lines_counted": counted, "lines_counted_after_kill9": countedAfter, "count_exact": exact && countedAfter == results.lines,
              "max_data_dir_bytes": samples.map(\.total).max() ?? 0, "max_wal_bytes": samples.map(\.wal).max() ?? 0,
              "final_chunk_bytes": lastSample.chunks, "final_wal_bytes": lastSample.wal,
              "bound_violations": samples.boundViolations, "samples": samples.count,
              "bound": "logs dir <= 2 x chunk bytes + 64 MiB at every sample",
              "peak_rss_mib": round1(Double(samples.map(\.rss).max() ?? 0) / 1_048_576),
              "rss_after_warmup_mib": [round1(Double(settled.map(\.rss).min() ?? 0) / 1_048_576),
                                       round1(Double(settled.map(\.rss).max() ?? 0) / 1_048_576)],
              "rss_slope_mib_per_min_after_warmup": round3(rssSlope),
              "replay_seconds": round3(replaySeconds), "load_average": LogsIngestBench.loadAverage()])
        if o.data == nil { try? FileManager.default.removeItem(atPath: scratch) }
        if !(exact && countedAfter == results.lines) || results.errors > 0 {
            FileHandle.standardError.write(Data("kansoku-bench soak: acknowledged \(results.lines) lines, counted \(counted) (after kill -9: \(countedAfter)), \(results.errors) push errors\n".utf8))
            exit(1)
        }
    }

    static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            func value() throws -> String {
                i += 1
                guard i < arguments.count else { throw LogsIngestBench.BenchError.usage("\(a) needs a value") }
                return arguments[i]
            }
            func seconds(_ s: String) throws -> Double {
                guard let d = PromDuration(durationOrSeconds: s)?.seconds else { throw LogsIngestBench.BenchError.usage("\(a): expected a duration such as 30m") }
                return d
            }
            switch a {
            case "--corpus": o.corpus = try value()
            case "--duration": o.duration = try seconds(try value())
            case "--once": o.once = true
            case "--clients": o.clients = max(1, Int(try value()) ?? 4)
            case "--lines": o.lines = max(1, Int(try value()) ?? 1000)
            case "--streams-per-push": o.streamsPerPush = max(1, Int(try value()) ?? 4)
            case "--binary": o.binary = try value()
            case "--data": o.data = try value()
            case "--warmup": o.warmup = try seconds(try value())
            case "--rate": o.rate = max(0, (Double(try value()) ?? 0) * 1e6)
            default: throw LogsIngestBench.BenchError.usage("unknown option \(a)")
            }
            i += 1
        }
        guard !o.corpus.isEmpty else { throw LogsIngestBench.BenchError.usage("--corpus DIR is required (a gen-corpus output folder)") }
        return o
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }

    /// Least-squares slope of RSS over time, in MiB per minute.
    static func slopeMiBPerMinute(_ points: [(Double, Double)]) -> Double {
        guard points.count >= 2 else { return 0 }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.0 } / n, my = points.reduce(0) { $0 + $1.1 } / n
        let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
        return sxx == 0 ? 0 : sxy / sxx * 60 / 1_048_576
    }

    static let emit = LogsIngestBench.emit
    static let round1 = LogsIngestBench.round1
    static let round3 = LogsIngestBench.round3
}
