import Foundation
import KansokuCore
import KansokuIngest
import KansokuLogStore
import KansokuTestSupport
import Testing

/// A push as Promtail and Grafana Alloy send it (protobuf in a snappy block) round-trips
/// through the real server, structured metadata and invalid UTF-8 included.
@Suite struct ProtobufPushEndToEndTests {
    @Test(.requires(TestPaths.kansoku))
    func snappyProtobufPushRoundTrips() throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("proto-push")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let base: Int64 = 1_710_000_000_123_456_789
        let entries = (0..<200).map { i in
            LogEntry(timestamp: base + Int64(i) * 1_000, line: "level=info msg=\"frame \(i)\" camera=cam-\(i % 7)")
        }
        let batch = StreamBatch(labels: Labels(["app": "camera-ingest", "region": "eu-west"]), entries: entries)
        let body = Data(PushEncoder.protobufSnappy([batch]))
        let r = try server.client.post("/loki/api/v1/push", body: body, contentType: "application/x-protobuf")
        #expect(r.status == 204, "\(r.text)")

        let q = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"camera-ingest\"}"))&start=\(base)&end=\(base + 1_000_000_000)&limit=1000&direction=forward"
        let answer = try server.client.get(q)
        let data = try #require((try answer.json() as? [String: Any])?["data"] as? [String: Any])
        let result = try #require(data["result"] as? [[String: Any]])
        #expect(result.first?["stream"] as? [String: String] == ["app": "camera-ingest", "region": "eu-west"])
        let values = try #require(result.first?["values"] as? [[String]])
        #expect(values.map { $0[0] } == entries.map { String($0.timestamp) })
        #expect(values.map { $0[1] } == entries.map { String(decoding: $0.line, as: UTF8.self) })

        // A corrupt body is refused with a JSON 400 and the server keeps serving.
        var broken = body
        broken[broken.count / 2] ^= 0xFF
        broken.removeLast(5)
        let bad = try server.client.post("/loki/api/v1/push", body: broken, contentType: "application/x-protobuf")
        #expect(bad.status == 400, "\(bad.text)")
        #expect((try? bad.json() as? [String: Any])?["status"] as? String == "error")
        #expect(try server.client.get("/ready").status == 200)
    }

    /// JSON pushes compressed by the real `gzip` tool and by Python's zlib (raw deflate, as Go's
    /// compress/flate writes it) are read like plain ones; a damaged gzip body gets a JSON 400.
    @Test(.requires(TestPaths.kansoku, .gzip, .python3))
    func gzipAndDeflatePushesRoundTrip() throws {
        let bin = try #require(TestPaths.binary)
        let gzip = try #require(TestPaths.which("gzip")), python = try #require(TestPaths.which("python3"))
        let dir = TestPaths.makeTempDir("compressed-push")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let base: Int64 = 1_710_000_000_000_000_000
        func body(_ encoding: String) -> String {
            let values = (0..<50).map { #"["\#(base + Int64($0))", "\#(encoding) line \#($0)"]"# }.joined(separator: ",")
            return #"{"streams":[{"stream":{"app":"\#(encoding)"},"values":[\#(values)]}]}"#
        }
        let plainGzip = dir.appendingPathComponent("gzip.json")
        try body("gzip").write(to: plainGzip, atomically: true, encoding: .utf8)
        let gzipped = try Self.output(gzip, ["-c", plainGzip.path])
        let plainDeflate = dir.appendingPathComponent("deflate.json")
        try body("deflate").write(to: plainDeflate, atomically: true, encoding: .utf8)
        let deflated = try Self.output(python, ["-c", "import sys, zlib; c = zlib.compressobj(wbits=-15); "
            + "sys.stdout.buffer.write(c.compress(open(sys.argv[1], 'rb').read()) + c.flush())", plainDeflate.path])

        for (encoding, data) in [("gzip", gzipped), ("deflate", deflated)] {
            let r = try server.client.post("/loki/api/v1/push", body: data, contentType: "application/json",
                                           headers: ["Content-Encoding": encoding])
            #expect(r.status == 204, "\(encoding): \(r.text)")
            let q = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"\(encoding)\"}"))&start=\(base)&end=\(base + 1_000_000)&limit=100&direction=forward"
            let data = try #require((try server.client.get(q).json() as? [String: Any])?["data"] as? [String: Any])
            let values = try #require((data["result"] as? [[String: Any]])?.first?["values"] as? [[String]])
            #expect(values.map { $0[1] } == (0..<50).map { "\(encoding) line \($0)" })
        }
        var damaged = gzipped
        damaged[damaged.count - 6] ^= 0xFF
        let bad = try server.client.post("/loki/api/v1/push", body: damaged, contentType: "application/json",
                                         headers: ["Content-Encoding": "gzip"])
        #expect(bad.status == 400, "\(bad.text)")
        #expect((try? bad.json() as? [String: Any])?["status"] as? String == "error")
        let unknown = try server.client.post("/loki/api/v1/push", body: Data(body("br").utf8), contentType: "application/json",
                                             headers: ["Content-Encoding": "br"])
        #expect(unknown.status == 415, "\(unknown.text)")
    }

    static func output(_ tool: String, _ arguments: [String]) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data
    }
}
