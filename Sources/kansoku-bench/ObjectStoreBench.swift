import Foundation
import KansokuCore
import KansokuLogStore

/// `kansoku-bench objectstore`: the needle and one-stream queries through a querier reading a
/// bucket (moto's S3 server on loopback), with its block cache cold and warm, beside a
/// single-node server over the same store; and the bytes each query fetched from the bucket
/// as a share of what the bucket stores.
///
///     gen-corpus --out /tmp/c256 --size 256M --streams 100 --needles 100 --seed 7
///     kansoku-bench objectstore --corpus /tmp/c256 [--runs 3] [--block-size 32KiB]
enum ObjectStoreBench {
    struct Options {
        var corpus = ""
        var runs = 3
        var blockSize = 256 * 1024
        var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kansoku").path
    }

    static func parse(_ args: [String]) throws -> Options {
        var o = Options()
        var it = args.makeIterator()
        while let a = it.next() {
            switch a {
            case "--corpus": o.corpus = it.next() ?? ""
            case "--runs": o.runs = max(1, Int(it.next() ?? "") ?? 3)
            case "--kansoku": o.binary = it.next() ?? o.binary
            case "--block-size": o.blockSize = ByteSize.parseInt(it.next() ?? "") ?? 0
            default: throw LogsQueryBench.BenchError("unknown option \(a)")
            }
        }
        guard (4 << 10)...(16 << 20) ~= o.blockSize else { throw LogsQueryBench.BenchError("--block-size must be a size from 4KiB to 16MiB") }
        guard !o.corpus.isEmpty else { throw LogsQueryBench.BenchError("--corpus DIR is required (a gen-corpus folder)") }
        return o
    }

    static func run(arguments: [String]) async throws {
        let o = try parse(arguments)
        let fm = FileManager.default
        let scratch = NSTemporaryDirectory() + "kansoku-objectstore-\(getpid())"
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: scratch) }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: o.corpus + ".needles.json"))) as? [String: Any]
        guard let token = manifest?["token"] as? String else { throw LogsQueryBench.BenchError("no token in \(o.corpus).needles.json") }
        let files = try fm.contentsOfDirectory(atPath: o.corpus).filter { $0.hasSuffix(".log") }.sorted()

        // The bucket.
        let motoPort = LoopbackExporter.freePort()
        let moto = Process()
        moto.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        moto.arguments = ["moto_server", "-H", "127.0.0.1", "-p", "\(motoPort)"]
        moto.standardOutput = FileHandle.nullDevice
        moto.standardError = FileHandle.nullDevice
        try moto.run()
        defer { kill(moto.processIdentifier, SIGKILL); moto.waitUntilExit() }
        let endpoint = "http://127.0.0.1:\(motoPort)"
        let create = "import boto3; boto3.client('s3', endpoint_url='\(endpoint)', region_name='us-east-1', aws_access_key_id='bench', aws_secret_access_key='bench').create_bucket(Bucket='kansoku')"
        let deadline = Date().addingTimeInterval(60)
        while (try? LogsQueryBench.shell(["python3", "-c", create])) == nil {
            guard Date() < deadline, moto.isRunning else { throw LogsQueryBench.BenchError("moto_server did not start (pip install 'moto[server]')") }
            usleep(200_000)
        }

        // The store: the corpus ingested (as logs-query does), then shipped by an ingester.
        let ingesterDir = scratch + "/ingester"
        let start: Int64 = 1_704_067_200_000_000_000
        var maxTs = start, lines = 0, rawBytes = 0
        let store = try LogStore.open(LogStoreConfig(directory: ingesterDir + "/logs", fsync: .batch, blockSize: o.blockSize))
        for f in files {
            let (b, n, last) = try await LogsQueryBench.ingest(file: o.corpus + "/" + f, store: store, start: start)
            rawBytes += b; lines += n; maxTs = max(maxTs, last)
        }
        try await store.close()
        let config = { (extra: String) -> String in
            let path = scratch + "/kansoku-\(abs(extra.hashValue)).yaml"
            try? """
            storage:
              chunk_block_size: "\(o.blockSize)"
              object_store: { backend: s3, bucket: kansoku, endpoint: "\(endpoint)", addressing: path,
                              access_key_id: bench, secret_access_key: bench }
            limits: { max_entries_limit_per_query: 10000000, query_timeout: 10m }
            rules: { files: [] }
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let ingester = try BenchServer(binary: o.binary, data: ingesterDir, config: config("cluster: { ingester_id: bench }"), target: "ingester")
        _ = try LoopbackHTTPClient(port: ingester.port).send("POST", "/flush")
        ingester.stop()
        let storedBytes = (try? LogsQueryBench.directorySize(ingesterDir + "/logs/periods")) ?? 0
        emit(["suite": "objectstore", "phase": "setup", "streams": files.count, "lines": lines, "raw_bytes": rawBytes,
              "bucket_bytes": storedBytes, "block_size": o.blockSize, "binary": o.binary])

        let single = try BenchServer(binary: o.binary, data: ingesterDir, config: config(""), target: "all")
        defer { single.stop() }
        let querierDir = scratch + "/querier"
        let querierConfig = config("cluster: { index_refresh_interval: 1m, cache_size: 4GiB }")

        let end = maxTs + 1
        let pick = files[files.count / 2].dropLast(4)
        let dash = pick.lastIndex(of: "-")!
        let queries = [
            ("needle", "{app=~\".+\"} |= \"\(token)\""),
            ("one_stream", "{app=\"\(pick[..<dash])\", host=\"\(pick[pick.index(after: dash)...])\"} |= \"error\""),
        ]
        var summary: [String: Any] = ["suite": "objectstore", "summary": true, "bucket_bytes": storedBytes, "block_size": o.blockSize,
                                      "raw_bytes": rawBytes]
        for (name, q) in queries {
            let path = "/loki/api/v1/query_range?query=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&start=\(start)&end=\(end)&limit=10000000&direction=forward"
            // Cold: a querier with an empty cache; its first query also lists and reads the indexes.
            try? fm.removeItem(atPath: querierDir)
            let querier = try BenchServer(binary: o.binary, data: querierDir, config: querierConfig, target: "querier")
            defer { querier.stop() }
            let before = try fetchedByKind(querier)
            let t0 = Date()
            let cold = try LoopbackHTTPClient(port: querier.port).send("GET", path)
            let coldSeconds = Date().timeIntervalSince(t0)
            let coldByKind = try fetchedByKind(querier).merging(before) { $0 - $1 }
            let coldBytes = coldByKind["total"] ?? 0
            let coldIndexBytes = coldByKind["index"] ?? 0
            var warm: [Double] = [], warmBytes = 0, warmResult = cold
            for _ in 0..<o.runs {
                let b = try fetched(querier)
                let t = Date()
                warmResult = try LoopbackHTTPClient(port: querier.port).send("GET", path)
                warm.append(Date().timeIntervalSince(t))
                warmBytes = try fetched(querier) - b
            }
            var singleTimes: [Double] = []
            var singleResult = cold
            for _ in 0..<o.runs {
                let t = Date()
                singleResult = try LoopbackHTTPClient(port: single.port).send("GET", path)
                singleTimes.append(Date().timeIntervalSince(t))
            }
            let equal = try result(cold) == result(singleResult) && result(warmResult) == result(singleResult)
            if !equal { BenchOracle.mismatch("objectstore", "\(name): the querier's answer differs from the single node's") }
            let share = Double(coldBytes) / Double(max(storedBytes, 1))
            let shareWithIndex = Double(coldBytes + coldIndexBytes) / Double(max(storedBytes, 1))
            let row: [String: Any] = [
                "suite": "objectstore", "query": name, "logql": q, "entries": try entryCount(singleResult),
                "querier_cold_seconds": round3(coldSeconds), "querier_warm_seconds": round3(median(warm)),
                "single_node_seconds": round3(median(singleTimes)),
                "cold_vs_single": round3(coldSeconds / max(median(singleTimes), 1e-9)),
                "warm_vs_single": round3(median(warm) / max(median(singleTimes), 1e-9)),
                "bucket_bytes_fetched_cold": coldBytes, "bucket_bytes_fetched_warm": warmBytes,
                "bucket_requests_cold": coldByKind["requests"] ?? 0,
                "fetched_share_of_stored": round4(share), "equal_to_single_node": equal,
                "cold_bytes_by_kind": coldByKind.filter { $0.key != "total" && $0.key != "requests" },
                "fetched_share_of_stored_with_index": round4(shareWithIndex),
            ]
            emit(row)
            summary["\(name)_fetched_share"] = round4(share)
            summary["\(name)_fetched_share_with_index"] = round4(shareWithIndex)
            summary["\(name)_cold_vs_single"] = row["cold_vs_single"]
            summary["\(name)_warm_vs_single"] = row["warm_vs_single"]
            if name == "needle" { summary["needle_under_5_percent"] = shareWithIndex < 0.05 }
        }
        emit(summary)
    }

    static func fetched(_ server: BenchServer) throws -> Int {
        let text = try LoopbackHTTPClient(port: server.port).send("GET", "/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix("kansoku_querier_bucket_bytes_fetched_total ") }
        return line.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
    }

    /// The querier's fetch counters: `total` (bytes of ranged GETs), one per kind of range,
    /// `index` (period indexes fetched whole, which the total leaves out) and `requests`
    /// (ranged GETs sent).
    static func fetchedByKind(_ server: BenchServer) throws -> [String: Int] {
        let text = try LoopbackHTTPClient(port: server.port).send("GET", "/metrics").text
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Int(parts[1]) else { continue }
            let name = parts[0]
            if name == "kansoku_querier_bucket_bytes_fetched_total" { out["total"] = value }
            if name == "kansoku_querier_index_bytes_fetched_total" { out["index"] = value }
            if name == "kansoku_querier_bucket_requests_total" { out["requests"] = value }
            let kindPrefix = "kansoku_querier_bucket_bytes_fetched_by_kind_total{kind=\""
            if name.hasPrefix(kindPrefix) { out[String(name.dropFirst(kindPrefix.count).dropLast(2))] = value }
        }
        return out
    }

    static func result(_ r: LoopbackHTTPClient.Response) throws -> String {
        guard r.status == 200, let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let data = json["data"] as? [String: Any], let rows = data["result"] as? [[String: Any]] else {
            throw LogsQueryBench.BenchError("query failed: \(r.status) \(r.text.prefix(300))")
        }
        let texts = try rows.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        return texts.sorted().joined(separator: "\n")
    }

    static func entryCount(_ r: LoopbackHTTPClient.Response) throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        let rows = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return rows.reduce(0) { $0 + (($1["values"] as? [Any])?.count ?? 0) }
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
    static func round4(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
    static func emit(_ o: [String: Any]) { LogsQueryBench.emit(o) }
}

/// A `kansoku server` of the bench on a free loopback port, its log kept in the data
/// directory's parent; stopped with SIGTERM so an ingester ships on the way out.
final class BenchServer: @unchecked Sendable {
    let process = Process()
    let port = LoopbackExporter.freePort()

    init(binary: String, data: String, config: String, target: String) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["server", "--target", target, "--config", config, "--data-dir", data, "--listen", "127.0.0.1:\(port)"]
        let log = data + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            if !process.isRunning { throw LogsQueryBench.BenchError("kansoku server --target \(target) exited; see \(log)") }
            if (try? LoopbackHTTPClient(port: port).send("GET", "/ready"))?.status == 200 { return }
            usleep(20_000)
        }
        throw LogsQueryBench.BenchError("kansoku server --target \(target) not ready within 600 s")
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }
}
