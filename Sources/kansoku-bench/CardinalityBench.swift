import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `kansoku-bench cardinality --streams N`: many small streams, as one stream per camera,
/// pod or session gives. A real `kansoku server` on loopback gets N streams
/// `{job="camera", zone, camera}` of 3 lines each pushed into an empty data dir; then, one
/// query at a time: the values of `camera` (answered from the index), `count(count_over_time(
/// {job="camera"}[1h]))` over all streams, `sum(count_over_time(…))`, and one stream's lines.
/// Reports push time, resident memory per stream (the server's RSS growth over the push
/// divided by N) and each query's median of `--repeat` runs; every answer is checked against
/// the known counts (exit 1 on a mismatch).
///
/// Options: `--streams N` (100000), `--zones N` (100), `--clients N` (4), `--streams-per-push N`
/// (1000), `--repeat N` (3), `--binary PATH` (the `kansoku` beside this executable).
enum CardinalityBench {
    struct Options {
        var streams = 100_000
        var zones = 100
        var clients = 4
        var streamsPerPush = 1000
        var repeats = 3
        var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kansoku").path
    }

    static let linesPerStream = 3

    static func run(arguments: [String]) async throws {
        let o = try parse(arguments)
        let scratch = NSTemporaryDirectory() + "kansoku-cardinality-\(getpid())"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let config = scratch + "/kansoku.yaml"
        try SoakServer.config.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try SoakServer(binary: o.binary, data: scratch + "/data", config: config)
        defer { server.kill9() }
        emit(["phase": "setup", "streams": o.streams, "zones": o.zones, "lines_per_stream": linesPerStream,
              "clients": o.clients, "streams_per_push": o.streamsPerPush, "binary": o.binary,
              "load_average": LogsIngestBench.loadAverage()])

        usleep(500_000)
        let rssBefore = BenchProcess.rss(server.pid)
        let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        let firstTime = now - 600 * 1_000_000_000
        let began = Date()
        let errors = push(o, port: server.port, firstTime: firstTime)
        let pushSeconds = Date().timeIntervalSince(began)
        guard errors.count == 0 else { throw LogsIngestBench.BenchError.io("push failed: \(errors.first ?? "")") }
        usleep(1_000_000)
        let rssAfter = BenchProcess.rss(server.pid)
        emit(["phase": "pushed", "seconds": round3(pushSeconds), "rss_before_mib": mib(rssBefore), "rss_after_mib": mib(rssAfter)])

        let http = LoopbackHTTPClient(port: server.port)
        let queryTime = now + 1_000_000_000
        var mismatches: [String] = []
        func check(_ what: String, _ got: Int, _ want: Int) {
            if got != want { mismatches.append("\(what): got \(got), expected \(want)") }
        }
        let start = firstTime - 3_600_000_000_000, end = queryTime
        let values = try time(o.repeats) { () throws -> Int in
            try answer(http, "/loki/api/v1/label/camera/values?start=\(start)&end=\(end)").count
        }
        check("camera values", values.result, o.streams)
        let zoneValues = try time(o.repeats) { () throws -> Int in
            try answer(http, "/loki/api/v1/label/zone/values?start=\(start)&end=\(end)").count
        }
        check("zone values", zoneValues.result, min(o.zones, o.streams))
        let count = try time(o.repeats) { () throws -> Int in
            try scalar(http, #"count(count_over_time({job="camera"}[1h]))"#, at: queryTime)
        }
        check("count of streams", count.result, o.streams)
        let sum = try time(o.repeats) { () throws -> Int in
            try scalar(http, #"sum(count_over_time({job="camera"}[1h]))"#, at: queryTime)
        }
        check("sum of lines", sum.result, o.streams * linesPerStream)
        let one = o.streams / 2
        let oneStream = try time(o.repeats) { () throws -> Int in
            let q = #"{job="camera", camera="\#(camera(one))"}"#
            let result = try answer(http, "/loki/api/v1/query_range?query=\(escape(q))&start=\(start)&end=\(end)&limit=100")
            return result.reduce(0) { $0 + ((($1 as? [String: Any])?["values"] as? [Any])?.count ?? 0) }
        }
        check("one stream's lines", oneStream.result, linesPerStream)
        let oneCount = try time(o.repeats) { () throws -> Int in
            try scalar(http, #"sum(count_over_time({job="camera", camera="\#(camera(one))"}[1h]))"#, at: queryTime)
        }
        check("one stream's count", oneCount.result, linesPerStream)

        let perStream = Double(rssAfter - rssBefore) / Double(o.streams)
        emit(["summary": true, "streams": o.streams, "lines": o.streams * linesPerStream,
              "push_seconds": round3(pushSeconds), "rss_growth_mib": mib(rssAfter - rssBefore),
              "rss_bytes_per_stream": Int(perStream.rounded()),
              "label_values_seconds": round3(values.median), "label_values_zone_seconds": round3(zoneValues.median),
              "count_all_streams_seconds": round3(count.median), "sum_all_streams_seconds": round3(sum.median),
              "one_stream_query_seconds": round3(oneStream.median), "one_stream_count_seconds": round3(oneCount.median),
              "first_run_seconds": ["label_values": round3(values.first), "count": round3(count.first), "sum": round3(sum.first)],
              "results_exact": mismatches.isEmpty,
              "targets": "label values < 0.05 s, count over all streams < 0.15 s, < 1.5 KB per idle stream",
              "targets_met": values.median < 0.05 && count.median < 0.15 && perStream < 1536,
              "load_average": LogsIngestBench.loadAverage()])
        if !mismatches.isEmpty {
            FileHandle.standardError.write(Data("kansoku-bench cardinality: \(mismatches.joined(separator: "; "))\n".utf8))
            exit(1)
        }
    }

    static func camera(_ i: Int) -> String {
        let digits = String(i)
        return "cam-" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }

    /// Pushes every stream's lines: client `c` sends streams `c, c + clients, …` in bodies of
    /// `streamsPerPush` streams. Returns the push errors.
    static func push(_ o: Options, port: Int, firstTime: Int64) -> [String] {
        let errors = Mutex<[String]>([])
        let done = DispatchGroup()
        for c in 0..<o.clients {
            done.enter()
            Thread {
                let http = LoopbackHTTPClient(port: port)
                var body: [UInt8] = []
                var batch = 0
                func send() {
                    body += Array("]}".utf8)
                    do {
                        let r = try http.send("POST", "/loki/api/v1/push", body: body)
                        if r.status != 204 { errors.withLock { $0.append("HTTP \(r.status): \(r.text.prefix(200))") } }
                    } catch {
                        errors.withLock { $0.append("\(error)") }
                    }
                    body.removeAll(keepingCapacity: true)
                    batch = 0
                }
                for i in stride(from: c, to: o.streams, by: o.clients) {
                    body += Array((batch == 0 ? #"{"streams":["# : ",").utf8)
                    let cam = camera(i)
                    body += Array(#"{"stream":{"job":"camera","zone":"zone-\#(i % o.zones)","camera":"\#(cam)"},"values":["#.utf8)
                    for k in 0..<linesPerStream {
                        let t = firstTime + Int64(k) * 1_000_000_000 + Int64(i % 1000) * 1_000_000
                        body += Array(#"\#(k > 0 ? "," : "")["\#(t)","frame \#(k) from \#(cam) ok"]"#.utf8)
                    }
                    body += Array("]}".utf8)
                    batch += 1
                    if batch == o.streamsPerPush { send() }
                }
                if batch > 0 { send() }
                done.leave()
            }.start()
        }
        done.wait()
        return errors.withLock { $0 }
    }

    struct Timed<T> {
        var result: T
        var first: Double
        var median: Double
    }

    /// Runs `body` `repeats` times; the result is the last run's.
    static func time<T>(_ repeats: Int, _ body: () throws -> T) throws -> Timed<T> {
        var times: [Double] = []
        var result: T?
        for _ in 0..<max(1, repeats) {
            let began = Date()
            result = try body()
            times.append(Date().timeIntervalSince(began))
        }
        return Timed(result: result!, first: times[0], median: times.sorted()[times.count / 2])
    }

    /// The `data` array of a label-values answer, or the `data.result` array of a query's.
    static func answer(_ http: LoopbackHTTPClient, _ path: String) throws -> [Any] {
        let r = try http.send("GET", path)
        guard r.status == 200, let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else {
            throw LogsIngestBench.BenchError.io("GET \(path.prefix(120)): HTTP \(r.status) \(r.text.prefix(300))")
        }
        if let list = json["data"] as? [Any] { return list }
        guard let data = json["data"] as? [String: Any], let result = data["result"] as? [Any] else {
            throw LogsIngestBench.BenchError.io("GET \(path.prefix(120)): unexpected answer \(r.text.prefix(300))")
        }
        return result
    }

    /// The single value of an instant metric query (0 when the result is empty).
    static func scalar(_ http: LoopbackHTTPClient, _ query: String, at time: Int64) throws -> Int {
        let result = try answer(http, "/loki/api/v1/query?query=\(escape(query))&time=\(time)")
        guard let first = result.first as? [String: Any], let value = first["value"] as? [Any],
              let text = value.last as? String, let n = Double(text) else { return 0 }
        return Int(n)
    }

    static func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }

    static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            func number() throws -> Int {
                i += 1
                guard i < arguments.count, let n = Int(arguments[i]), n > 0 else {
                    throw LogsIngestBench.BenchError.usage("\(a) needs a positive number")
                }
                return n
            }
            switch a {
            case "--streams": o.streams = try number()
            case "--zones": o.zones = try number()
            case "--clients": o.clients = try number()
            case "--streams-per-push": o.streamsPerPush = try number()
            case "--repeat": o.repeats = try number()
            case "--binary":
                i += 1
                guard i < arguments.count else { throw LogsIngestBench.BenchError.usage("--binary needs a path") }
                o.binary = arguments[i]
            default: throw LogsIngestBench.BenchError.usage("unknown option \(a)")
            }
            i += 1
        }
        return o
    }

    static func emit(_ object: [String: Any]) {
        var o = object
        o["suite"] = "cardinality"
        LogsIngestBench.emit(o)
    }

    static func mib(_ bytes: Int) -> Double { LogsIngestBench.round1(Double(bytes) / 1_048_576) }
    static func round3(_ x: Double) -> Double { LogsIngestBench.round3(x) }
}
