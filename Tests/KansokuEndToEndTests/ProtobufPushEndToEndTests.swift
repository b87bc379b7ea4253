import Foundation
import KansokuCore
import KansokuIngest
import KansokuLogStore
import Testing

/// A push as Promtail and Grafana Alloy send it (protobuf in a snappy block) round-trips
/// through the real server, structured metadata and invalid UTF-8 included.
@Suite struct ProtobufPushEndToEndTests {
    @Test func snappyProtobufPushRoundTrips() throws {
        guard let bin = TestPaths.binary else { TestPaths.skip("kansoku binary not built"); return }
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
}
