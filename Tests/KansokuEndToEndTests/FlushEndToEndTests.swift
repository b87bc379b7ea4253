import Foundation
import KansokuTestSupport
import Testing

/// `POST /flush` (Loki's ingester endpoint) on the real binary: every head reaches chunks, the
/// WAL they were in is dropped, and a kill -9 right after loses nothing.
@Suite(.serialized) struct FlushEndToEndTests {
    static func walBytes(_ data: URL) -> Int {
        let dir = data.appendingPathComponent("logs/wal").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as? Int) ?? 0) }
    }

    @Test(.requires(TestPaths.kansoku))
    func flushWritesHeadsAndDropsTheWAL() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("flush")
        let data = root.appendingPathComponent("data")
        let base: Int64 = 1_700_000_000_000_000_000
        let lines = (0..<2000).map { (base + Int64($0) * 1_000_000, "level=info msg=\"served\" path=/items/\($0 % 50) status=200 seq=\($0)") }
        var server = try ServerProcess(binary: bin, dataDir: data)
        let push = try server.client.post("/loki/api/v1/push", body: LokiAPIEndToEndTests.pushBody([(["app": "flush"], lines)]),
                                          contentType: "application/json")
        #expect(push.status == 204, "\(push.text)")
        let walBefore = Self.walBytes(data)
        #expect(walBefore > 1000)
        let flush = try server.client.request("POST", "/flush", headers: [:], body: Data())
        #expect(flush.status == 204, "\(flush.text)")
        // Careless use: flushing again with nothing in memory, or with GET, changes nothing.
        #expect(try server.client.request("POST", "/flush", headers: [:], body: Data()).status == 204)
        #expect((400..<500).contains(try server.client.get("/flush").status))
        #expect(try server.client.get("/ready").status == 200)
        #expect(Self.walBytes(data) == 0)
        server.kill9()

        server = try ServerProcess(binary: bin, dataDir: data)
        defer { server.stop() }
        let q = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"flush\"}"))&start=\(base)&end=\(base + 10_000_000_000)&limit=5000&direction=forward"
        let answer = try server.client.get(q)
        #expect(answer.status == 200, "\(answer.text)")
        let result = try #require(((try answer.json() as? [String: Any])?["data"] as? [String: Any])?["result"] as? [[String: Any]])
        let values = result.first?["values"] as? [[String]] ?? []
        #expect(values.map { $0[1] } == lines.map(\.1))
        #expect(server.log.contains("replayed WAL") == false, "nothing should be left to replay after a flush")
    }
}
