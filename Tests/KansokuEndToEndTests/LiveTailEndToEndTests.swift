import Foundation
import KansokuTestSupport
import Synchronization
import Testing

/// `/loki/api/v1/tail` and `kansoku query --tail` against the real binary: lines pushed by
/// several writers at once, some of them late (older than lines already stored), reach
/// every follower exactly once, in the order each stream accepted them.
@Suite(.serialized, .requires(TestPaths.kansoku, .python(["websocket"], install: "pip install websocket-client")))
struct LiveTailEndToEndTests {
    static let streams = 5
    static let batchesPerStream = 20
    static let linesPerBatch = 100

    /// A websocket client nobody here wrote (websocket-client): writes every entry of every
    /// frame as a JSON line, and exits once it has seen each stream's end marker.
    static let follower = #"""
    import json, sys, websocket
    url, path, streams = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ws = websocket.create_connection(url, timeout=300)
    ended = set()
    with open(path, "w") as out:
        while len(ended) < streams:
            frame = json.loads(ws.recv())
            unknown = set(frame) - {"streams", "dropped_entries"}
            if unknown:
                sys.exit("unexpected frame keys %s" % unknown)
            for d in frame.get("dropped_entries", []):
                out.write(json.dumps({"dropped": d}) + "\n")
            for s in frame.get("streams", []):
                for ts, line in s["values"]:
                    out.write(json.dumps({"labels": s["stream"], "ts": ts, "line": line}) + "\n")
                    if line.startswith("end "):
                        ended.add(line)
            out.flush()
    ws.close()
    """#

    static func push(_ server: ServerProcess, stream: String, _ values: [(Int64, String)]) throws -> Int {
        let obj: [String: Any] = ["streams": [["stream": ["app": "tail", "stream": stream],
                                               "values": values.map { [String($0.0), $0.1] }] as [String: Any]]]
        return try server.client.post("/loki/api/v1/push",
                                      body: JSONSerialization.data(withJSONObject: obj), contentType: "application/json").status
    }

    /// (stream, line) of every entry a follower wrote, in the order it got them.
    static func received(_ file: URL) -> (entries: [(String, String)], dropped: Int) {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        var entries: [(String, String)] = []
        var dropped = 0
        for row in text.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any] else { continue }
            if obj["dropped"] != nil { dropped += 1; continue }
            guard let labels = obj["labels"] as? [String: String], let line = obj["line"] as? String else { continue }
            entries.append((labels["stream"] ?? "", line))
        }
        return (entries, dropped)
    }

    @Test func everyFollowerGetsEveryLineOnceLateOnesIncluded() throws {
        let bin = try #require(TestPaths.binary)
        let py = try #require(TestPaths.which("python3"))
        let dir = TestPaths.makeTempDir("live-tail")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let script = dir.appendingPathComponent("follow.py")
        try Self.follower.write(to: script, atomically: true, encoding: .utf8)

        let start = Int64(Date().timeIntervalSince1970 * 1e9)
        let query = urlEncode(#"{app="tail"}"#)
        var followers: [(Process, URL)] = []
        defer { for (p, _) in followers where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        for i in 0..<3 {
            let out = dir.appendingPathComponent("ws-\(i).jsonl")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: py)
            p.arguments = [script.path, "ws://127.0.0.1:\(server.port)/loki/api/v1/tail?query=\(query)&start=\(start)",
                           out.path, String(Self.streams)]
            p.standardError = FileHandle.standardError
            try p.run()
            followers.append((p, out))
        }
        let cliOut = dir.appendingPathComponent("cli.jsonl")
        _ = FileManager.default.createFile(atPath: cliOut.path, contents: nil)
        let cli = Process()
        cli.executableURL = bin
        cli.arguments = ["query", "--tail", "--addr", server.addr, "-o", "jsonl", "--since", "1m", #"{app="tail"}"#]
        cli.standardOutput = try FileHandle(forWritingTo: cliOut)
        cli.standardError = FileHandle.standardError
        try cli.run()
        defer { if cli.isRunning { kill(cli.processIdentifier, SIGKILL); cli.waitUntilExit() } }
        let outputs = followers.map(\.1) + [cliOut]

        // Every follower is connected once it has printed a line of the sync stream.
        var synced = false
        for i in 0..<300 where !synced {
            #expect(try Self.push(server, stream: "sync", [(Int64(Date().timeIntervalSince1970 * 1e9), "sync \(i)")]) == 204)
            Thread.sleep(forTimeInterval: 0.1)
            synced = outputs.allSatisfy { (try? String(contentsOf: $0, encoding: .utf8))?.contains("sync ") == true }
        }
        try #require(synced, "followers did not connect")

        // Five writers at once, one per stream; every fifth batch is late: its lines are an
        // hour's quarter older than the lines the stream already holds.
        let base = Int64(Date().timeIntervalSince1970 * 1e9)
        let statuses = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: Self.streams) { k in
            for b in 0..<Self.batchesPerStream {
                let late = b % 5 == 4
                let values = (0..<Self.linesPerBatch).map { j -> (Int64, String) in
                    let seq = b * Self.linesPerBatch + j
                    let ts = (late ? base - 900_000_000_000 : base) + Int64(seq) * 1_000_000
                    return (ts, "s\(k) seq=\(seq)\(late ? " late" : "")")
                }
                let status = (try? Self.push(server, stream: "s\(k)", values)) ?? -1
                statuses.withLock { $0.append(status) }
            }
            let status = (try? Self.push(server, stream: "s\(k)", [(base + 3_600_000_000, "end s\(k)")])) ?? -1
            statuses.withLock { $0.append(status) }
        }
        #expect(statuses.withLock { $0 }.allSatisfy { $0 == 204 })

        let deadline = Date().addingTimeInterval(120)
        func done(_ file: URL) -> Bool { Self.received(file).entries.filter { $0.1.hasPrefix("end ") }.count == Self.streams }
        while Date() < deadline, !outputs.allSatisfy(done) { Thread.sleep(forTimeInterval: 0.2) }
        for (p, _) in followers { p.waitUntilExit(); #expect(p.terminationStatus == 0) }
        kill(cli.processIdentifier, SIGINT)
        cli.waitUntilExit()

        let expected = (0..<Self.streams).flatMap { k in
            (0..<(Self.batchesPerStream * Self.linesPerBatch)).map { seq in
                "s\(k) seq=\(seq)\((seq / Self.linesPerBatch) % 5 == 4 ? " late" : "")"
            }
        }
        var figures: [String] = []
        for file in outputs {
            let (entries, dropped) = Self.received(file)
            let streamNames = Set((0..<Self.streams).map { "s\($0)" })
            let lines = entries.filter { streamNames.contains($0.0) }
            #expect(dropped == 0, "\(file.lastPathComponent)")
            // Exactly once: the same multiset as was pushed.
            let data = lines.filter { !$0.1.hasPrefix("end ") }.map(\.1)
            var counts: [String: Int] = [:]
            for line in data { counts[line, default: 0] += 1 }
            let missing = expected.filter { counts[$0] == nil }
            let repeated = counts.filter { $0.value > 1 }.map(\.key)
            let unexpected = Set(counts.keys).subtracting(expected)
            #expect(missing.isEmpty && repeated.isEmpty && unexpected.isEmpty,
                    "\(file.lastPathComponent): \(missing.count) missing (\(missing.prefix(3))), \(repeated.count) repeated (\(repeated.prefix(3))), \(unexpected.count) unexpected")
            // In each stream's acceptance order.
            for k in 0..<Self.streams {
                let got = lines.filter { $0.0 == "s\(k)" && !$0.1.hasPrefix("end ") }.map(\.1)
                let want = expected.filter { $0.hasPrefix("s\(k) ") }
                let firstOff = Array(zip(got, want)).firstIndex { $0 != $1 }
                #expect(got == want, "\(file.lastPathComponent) stream s\(k): \(got.count) of \(want.count) lines, first out of order at \(firstOff.map(String.init) ?? "-")")
            }
            let lateCount = lines.filter { $0.1.hasSuffix(" late") }.count
            figures.append("\(file.lastPathComponent): \(data.count) lines, \(lateCount) late, \(dropped) dropped")
        }
        print("live tail: \(expected.count) lines pushed across \(Self.streams) streams; " + figures.joined(separator: "; "))
    }
}
