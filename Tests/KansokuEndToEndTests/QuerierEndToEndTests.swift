import Foundation
import KansokuTestSupport
import Testing

/// Two ingesters and a querier on one bucket (moto's S3 server on loopback, stopped by PID),
/// against a single-node server holding the same acknowledged lines: the gen-corpus corpus
/// pushed half to each ingester, one of them killed with -9 mid-push and restarted. Through
/// the querier the benchmark queries answer as the single node does while data is still in
/// the ingesters, after everything is flushed to the bucket, and after the ingesters' disks
/// are gone; an unreachable ingester is named in the answer's warnings.
///
/// CI uses a small corpus; `KANSOKU_QUERIER_CORPUS_SIZE=256M` runs the full one.
@Suite(.serialized) struct QuerierEndToEndTests {
    static let genCorpus = Requirement.shared("tools/gen-corpus")
    static let start: Int64 = 1_704_067_200_000_000_000

    struct Stream {
        let labels: [String: String]
        var lines: [(Int64, String)]
    }

    /// The corpus as gen-corpus's push bodies (1,000 lines each, one stream per body), and
    /// the streams they make.
    static func corpus(_ root: URL) throws -> (batches: [(stream: Int, body: Data)], streams: [Stream], needle: String) {
        let size = ProcessInfo.processInfo.environment["KANSOKU_QUERIER_CORPUS_SIZE"] ?? "3M"
        let out = root.appendingPathComponent("corpus.jsonl")
        let tool = try #require(TestPaths.shared("tools/gen-corpus"))
        let r = try runCommand(tool.path, ["--out", out.path, "--size", size, "--streams", "8", "--needles", "5", "--seed", "11", "--batch", "1000"])
        guard r.status == 0 else { throw PeerProcess.PeerError.exited(r.output) }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out.path + ".needles.json"))) as? [String: Any]
        let needle = try #require(manifest?["token"] as? String)
        var streams: [Stream] = []
        var byLabels: [[String: String]: Int] = [:]
        var batches: [(stream: Int, body: Data)] = []
        let text = try Data(contentsOf: out)
        for line in text.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            let body = Data(line)
            let push = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            for s in push["streams"] as? [[String: Any]] ?? [] {
                let labels = try #require(s["stream"] as? [String: String])
                let values = (s["values"] as? [[String]] ?? []).map { (Int64($0[0])!, $0[1]) }
                let index = byLabels[labels] ?? streams.count
                if index == streams.count {
                    byLabels[labels] = index
                    streams.append(Stream(labels: labels, lines: []))
                }
                streams[index].lines += values
                batches.append((index, LokiAPIEndToEndTests.pushBody([(labels, values)])))
            }
        }
        for i in streams.indices { streams[i].lines.sort { $0.0 < $1.0 } }
        return (batches, streams, needle)
    }

    /// Pushes `batch` until acknowledged; `crash` runs while the first attempt may be in flight
    /// and returns the server to retry against.
    @discardableResult
    static func push(_ batch: Data, to server: ServerProcess, crash: ((ServerProcess) throws -> ServerProcess)? = nil) throws -> ServerProcess {
        guard let crash else {
            let r = try Self.post(batch, to: server.client)
            #expect(r.status == 204, "\(r.text)")
            return server
        }
        let done = DispatchSemaphore(value: 0)
        let client = server.client
        nonisolated(unsafe) var firstStatus: Int?
        Thread.detachNewThread {
            firstStatus = (try? client.post("/loki/api/v1/push", body: batch, contentType: "application/json"))?.status
            done.signal()
        }
        usleep(3_000)
        let restarted = try crash(server)
        done.wait()
        if firstStatus != 204 {
            // Not acknowledged: sent again, as a client does; it may already be in the WAL.
            let r = try Self.post(batch, to: restarted.client)
            #expect(r.status == 204, "\(r.text)")
        }
        return restarted
    }

    /// Posts a push, sent again after a pause while the server answers 429 (over the
    /// tenant's ingestion rate), as Promtail does.
    static func post(_ batch: Data, to client: HTTPTestClient) throws -> HTTPTestClient.Response {
        while true {
            let r = try client.post("/loki/api/v1/push", body: batch, contentType: "application/json")
            guard r.status == 429 else { return r }
            usleep(200_000)
        }
    }

    struct Query {
        let name: String
        let path: String
    }

    static func queries(_ streams: [Stream], needle: String) -> [Query] {
        let first = streams.map { $0.lines.first?.0 ?? start }.min()!
        let end = streams.map { $0.lines.last?.0 ?? start }.max()! + 1
        let one = streams[streams.count / 2].labels
        let seconds = (end - first) / 1_000_000_000 + 60
        func range(_ q: String, _ extra: String) -> String {
            "/loki/api/v1/query_range?query=\(urlEncode(q))&start=\(first)&end=\(end)\(extra)"
        }
        return [
            Query(name: "needle", path: range("{app=~\".+\"} |= \"\(needle)\"", "&limit=5000&direction=forward")),
            Query(name: "one stream", path: range("{app=\"\(one["app"]!)\", host=\"\(one["host"]!)\"} |= \"error\"", "&limit=5000&direction=forward")),
            Query(name: "timeout count", path: "/loki/api/v1/query?query=\(urlEncode("sum(count_over_time({app=~\".+\"} |~ \"(?i)timeout\" [\(seconds)s]))"))&time=\(end)"),
            Query(name: "errors by app", path: "/loki/api/v1/query_range?query=\(urlEncode("sum by (app) (count_over_time({app=~\".+\"} |= \"error\" [5m]))"))&start=\(first)&end=\(end + 300_000_000_000)&step=300"),
        ]
    }

    /// The answer's result, streams and series in label order (the order is not part of the API).
    static func result(_ server: ServerProcess, _ path: String) throws -> (result: String, warnings: [String]) {
        let r = try server.client.get(path)
        #expect(r.status == 200, "\(r.text.prefix(500))")
        let json = try r.json() as? [String: Any]
        let data = try #require(json?["data"] as? [String: Any])
        var rows = (data["result"] as? [[String: Any]]) ?? []
        func key(_ row: [String: Any]) -> String {
            let labels = (row["stream"] ?? row["metric"]) as? [String: String] ?? [:]
            return labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
        rows.sort { key($0) < key($1) }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]), as: UTF8.self)
        return (text, json?["warnings"] as? [String] ?? [])
    }

    func config(_ root: URL, _ name: String, bucket: String, ingesters: [String] = [], id: String? = nil) throws -> URL {
        let url = root.appendingPathComponent("\(name).yaml")
        // Chunks keep their token filters partitioned when they are large enough: with CI's
        // small corpus, only in small blocks. (The full corpus in such blocks would make a full
        // scan through the querier one ranged GET to moto per 4 KiB.)
        let blockSize = ProcessInfo.processInfo.environment["KANSOKU_QUERIER_CORPUS_SIZE"] == nil ? "4KiB" : "256KiB"
        try """
        storage:
          chunk_block_size: \(blockSize)
          object_store: { backend: s3, bucket: kansoku, endpoint: "\(bucket)", addressing: path,
                          access_key_id: AKIDTEST, secret_access_key: test-secret, max_attempts: 2, timeout: 5s }
        cluster:
          \(id.map { "ingester_id: \($0)" } ?? "ingester_id: unused")
          upload_interval: 2s
          index_refresh_interval: 1s
          ingester_timeout: 5s
          ingesters: [\(ingesters.map { "\"\($0)\"" }.joined(separator: ", "))]

        """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test(.requires(TestPaths.kansoku, ObjectStoreShippingEndToEndTests.moto, Self.genCorpus))
    func querierAnswersAsASingleNodeDoes() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("querier")
        let (moto, bucket) = try ObjectStoreShippingEndToEndTests.startMoto(root)
        defer { moto.stop() }
        let (batches, streams, needle) = try Self.corpus(root)
        #expect(streams.count == 8)

        let dataA = root.appendingPathComponent("ingester-a"), dataB = root.appendingPathComponent("ingester-b")
        let configA = try config(root, "a", bucket: bucket.endpoint, id: "ingester-a")
        let configB = try config(root, "b", bucket: bucket.endpoint, id: "ingester-b")
        var a = try ServerProcess(binary: bin, dataDir: dataA, config: configA, extraArguments: ["--target", "ingester"])
        var b = try ServerProcess(binary: bin, dataDir: dataB, config: configB, extraArguments: ["--target", "ingester"])
        let single = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("single"))
        defer { a.stop(); b.stop(); single.stop() }

        // Even streams to A, odd ones to B.
        let crashAt = batches.indices.filter { batches[$0].stream % 2 == 0 }.dropFirst(batches.count / 4).first
        for (n, batch) in batches.enumerated() {
            if batch.stream % 2 == 0 {
                let crash: ((ServerProcess) throws -> ServerProcess)? = n == crashAt ? { server in
                    server.kill9()
                    return try ServerProcess(binary: bin, dataDir: dataA, config: configA, extraArguments: ["--target", "ingester"])
                } : nil
                a = try Self.push(batch.body, to: a, crash: crash)
            } else {
                b = try Self.push(batch.body, to: b)
            }
            try Self.push(batch.body, to: single)
        }

        let querierConfig = try config(root, "querier", bucket: bucket.endpoint, ingesters: [a.addr, b.addr])
        let querier = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("querier"), config: querierConfig,
                                        extraArguments: ["--target", "querier"])
        defer { querier.stop() }
        let queries = Self.queries(streams, needle: needle)
        func compare(_ phase: String) throws {
            for q in queries {
                let expected = try Self.result(single, q.path)
                let got = try Self.result(querier, q.path)
                #expect(got.result == expected.result, "\(phase): \(q.name): querier \(got.result.prefix(400)) vs single node \(expected.result.prefix(400))")
                #expect(got.warnings.isEmpty, "\(phase): \(q.name): \(got.warnings)")
                #expect(expected.result.count > 20, "\(phase): \(q.name) found nothing: \(expected.result)")
            }
            // Every acknowledged line exactly once, stream by stream.
            for s in streams {
                let selector = "{" + s.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
                guard s.lines.count < 5000 else {
                    // A large corpus: counted instead, through a filter so every block is decoded.
                    let seconds = (s.lines.last!.0 - s.lines.first!.0) / 1_000_000_000 + 60
                    let q = "count_over_time(\(selector) != \"no such text in any line\" [\(seconds)s])"
                    let count = try Self.result(querier, "/loki/api/v1/query?query=\(urlEncode(q))&time=\(s.lines.last!.0 + 1)").result
                    #expect(count.contains("\"\(s.lines.count)\""), "\(phase): \(selector): \(count), \(s.lines.count) acknowledged")
                    continue
                }
                let path = "/loki/api/v1/query_range?query=\(urlEncode(selector))&start=\(s.lines.first!.0)&end=\(s.lines.last!.0 + 1)&limit=\(s.lines.count + 10)&direction=forward"
                let r = try querier.client.get(path)
                let rows = (((try r.json() as? [String: Any])?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
                let values = rows.flatMap { $0["values"] as? [[String]] ?? [] }
                #expect(values.count == s.lines.count, "\(phase): \(selector): \(values.count) lines, \(s.lines.count) acknowledged")
                #expect(values.map { $0[1] } == s.lines.map(\.1), "\(phase): \(selector)")
            }
        }

        // 1. Much of it still in the ingesters' heads and unshipped segments.
        try compare("before flush")

        // 2. Everything in the bucket.
        for ingester in [a, b] {
            #expect(try ingester.client.request("POST", "/flush", headers: [:], body: Data()).status == 204)
        }
        Thread.sleep(forTimeInterval: 2.5)
        try compare("after flush")
        let metrics = try querier.client.get("/metrics").text
        let filterBytes = metrics.split(separator: "\n").first { $0.hasPrefix("kansoku_querier_bucket_bytes_fetched_by_kind_total{kind=\"filter\"}") }
        #expect((filterBytes?.split(separator: " ").last.flatMap { Int($0) } ?? 0) > 0, "no filter partitions fetched: \(filterBytes ?? "no metric")")

        // 3. The ingesters' disks are lost; they come back empty.
        #expect(a.stop() == 0)
        #expect(b.stop() == 0)
        try FileManager.default.removeItem(at: dataA)
        try FileManager.default.removeItem(at: dataB)
        a = try ServerProcess(binary: bin, dataDir: dataA, config: configA, port: a.port, extraArguments: ["--target", "ingester"])
        b = try ServerProcess(binary: bin, dataDir: dataB, config: configB, port: b.port, extraArguments: ["--target", "ingester"])
        try compare("ingesters' data dirs deleted")

        // 4. An ingester down: the answer stands on the rest and says what it lacks.
        b.stop()
        let partial = try Self.result(querier, queries[2].path)
        #expect(partial.result == (try Self.result(single, queries[2].path)).result)
        #expect(partial.warnings.contains { $0.contains(b.addr) }, "\(partial.warnings)")
    }
}
