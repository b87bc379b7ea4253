import Foundation
import KansokuTestSupport
import Testing

/// The Loki HTTP API of the real binary, driven the way Loki clients drive it.
@Suite(.serialized, .requires(TestPaths.kansoku)) struct LokiAPIEndToEndTests {
    func startServer() throws -> (ServerProcess, URL) {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("loki-api")
        return (try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data")), dir)
    }

    static func pushBody(_ streams: [([String: String], [(Int64, String)])]) -> Data {
        let obj: [String: Any] = ["streams": streams.map { labels, values in
            ["stream": labels, "values": values.map { [String($0.0), $0.1] }] as [String: Any]
        }]
        return try! JSONSerialization.data(withJSONObject: obj)
    }

    @Test func pushThenQueryRangeReturnsLinesInOrder() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let base: Int64 = 1_700_000_000_000_000_000
        let lines = (0..<50).map { (base + Int64($0) * 1_000_000, "line \($0) status=\($0 % 5 == 0 ? 500 : 200)") }
        let r = try server.client.post("/loki/api/v1/push", body: Self.pushBody([(["app": "api", "env": "test"], lines)]),
                                       contentType: "application/json")
        #expect(r.status == 204, "\(r.text)")

        let q = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"api\"} |= \"status=500\""))&start=\(base)&end=\(base + 1_000_000_000)&limit=100&direction=forward"
        let answer = try server.client.get(q)
        #expect(answer.status == 200, "\(answer.text)")
        let json = try #require(try answer.json() as? [String: Any])
        #expect(json["status"] as? String == "success")
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["resultType"] as? String == "streams")
        #expect(data["stats"] is [String: Any])
        let result = try #require(data["result"] as? [[String: Any]])
        #expect(result.count == 1)
        #expect(result.first?["stream"] as? [String: String] == ["app": "api", "env": "test"])
        let values = try #require(result.first?["values"] as? [[String]])
        #expect(values.map { $0[1] } == lines.filter { $0.1.hasSuffix("500") }.map(\.1))
        #expect(values.map { $0[0] } == lines.filter { $0.1.hasSuffix("500") }.map { String($0.0) })

        let labels = try server.client.get("/loki/api/v1/labels?start=\(base)&end=\(base + 1_000_000_000)")
        #expect((try labels.json() as? [String: Any])?["data"] as? [String] == ["app", "env"])
        let values2 = try server.client.get("/loki/api/v1/label/app/values?start=\(base)&end=\(base + 1_000_000_000)")
        #expect((try values2.json() as? [String: Any])?["data"] as? [String] == ["api"])
        let series = try server.client.get("/loki/api/v1/series?match[]=\(urlEncode("{env=\"test\"}"))&start=\(base)&end=\(base + 1_000_000_000)")
        #expect((try series.json() as? [String: Any])?["data"] as? [[String: String]] == [["app": "api", "env": "test"]])
    }

    @Test func metricQueryReturnsMatrix() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let base: Int64 = 1_700_000_000_000_000_000
        let lines = (0..<120).map { (base + Int64($0) * 1_000_000_000, "tick \($0)") }
        _ = try server.client.post("/loki/api/v1/push", body: Self.pushBody([(["app": "clock"], lines)]), contentType: "application/json")
        let q = "/loki/api/v1/query_range?query=\(urlEncode("count_over_time({app=\"clock\"}[1m])"))&start=\(base + 60_000_000_000)&end=\(base + 119_000_000_000)&step=60"
        let r = try server.client.get(q)
        #expect(r.status == 200, "\(r.text)")
        let data = try #require((try r.json() as? [String: Any])?["data"] as? [String: Any])
        #expect(data["resultType"] as? String == "matrix")
        let result = try #require(data["result"] as? [[String: Any]])
        let values = try #require(result.first?["values"] as? [[Any]])
        #expect(values.count == 1)
        #expect(values.first?[1] as? String == "60")
    }

    @Test func badRequestsGet4xxWithJSON() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let cases: [(String, String)] = [
            ("GET", "/loki/api/v1/query_range?query=\(urlEncode("{app=\"x\" |= "))"),
            ("GET", "/loki/api/v1/query_range"),
            ("GET", "/loki/api/v1/query_range?query=\(urlEncode("{app=\"x\"}"))&direction=sideways"),
            ("GET", "/api/v1/query?query=\(urlEncode("sum(rate(x[5m])"))"),
            ("POST", "/loki/api/v1/push"),
            ("GET", "/loki/api/v1/format_query?query=\(urlEncode("{app=\"x\"} | json |"))"),
        ]
        for (method, path) in cases {
            let r = method == "GET" ? try server.client.get(path)
                : try server.client.post(path, body: Data("{\"streams\": [{\"stream\": 5}]}".utf8), contentType: "application/json")
            #expect((400..<500).contains(r.status), "\(path) → \(r.status) \(r.text)")
            let json = try? r.json() as? [String: Any]
            #expect(json?["status"] as? String == "error", "\(path): \(r.text)")
            #expect((json?["error"] as? String)?.isEmpty == false)
        }
        // The server is still up after all of it.
        #expect(try server.client.get("/ready").status == 200)
    }

    @Test func parseErrorsCarryLineAndColumn() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let r = try server.client.get("/loki/api/v1/query?query=\(urlEncode("sum(count_over_time({app=\"x\"}[5m])"))")
        #expect(r.status == 400)
        let msg = ((try? r.json() as? [String: Any])?["error"] as? String) ?? ""
        #expect(msg.contains("line 1, col"), "\(msg)")
    }

    /// `format_query` answers the multi-line form Loki's prettier gives to a query longer than
    /// a line.
    @Test func formatQueryPrettyPrints() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let q = #"sum by (app) (count_over_time({app="x", namespace="streaming"} |= "error" | json | level="error" | line_format "{{.msg}}" [5m]))"#
        let r = try server.client.get("/loki/api/v1/format_query?query=\(urlEncode(q))")
        #expect(r.status == 200, "\(r.text)")
        let formatted = (try? r.json() as? [String: Any])?["data"] as? String ?? ""
        #expect(formatted.contains("\n"), "\(formatted)")
        #expect(formatted.contains(#"{app="x", namespace="streaming"}"#) && formatted.contains(#"|= "error""#), "\(formatted)")
        // The formatted text is itself a query that means the same.
        let again = try server.client.get("/loki/api/v1/format_query?query=\(urlEncode(formatted))")
        #expect((try? again.json() as? [String: Any])?["data"] as? String == formatted)
    }

    /// `index/volume` and `volume_range` sum line bytes per label set from block metadata,
    /// grouped by the selector's label names, by `targetLabels`, or by label name alone.
    @Test func volumeGroupsLineBytesByLabels() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let base: Int64 = 1_700_000_000_000_000_000
        func lines(_ n: Int, _ text: String) -> [(Int64, String)] { (0..<n).map { (base + Int64($0) * 1_000_000_000, text) } }
        // 10-byte lines: {a, prod} 30, {a, dev} 20, {b, prod} 10.
        let body = Self.pushBody([(["app": "a", "env": "prod"], lines(30, "0123456789")),
                                  (["app": "a", "env": "dev"], lines(20, "abcdefghij")),
                                  (["app": "b", "env": "prod"], lines(10, "ABCDEFGHIJ"))])
        #expect(try server.client.post("/loki/api/v1/push", body: body, contentType: "application/json").status == 204)
        let window = "start=\(base)&end=\(base + 60_000_000_000)"
        func vector(_ params: String) throws -> [[String: String]: String] {
            let r = try server.client.get("/loki/api/v1/index/volume?\(window)&\(params)")
            let data = try #require((try r.json() as? [String: Any])?["data"] as? [String: Any], "\(r.text)")
            #expect(data["resultType"] as? String == "vector")
            var out: [[String: String]: String] = [:]
            for s in data["result"] as? [[String: Any]] ?? [] {
                out[s["metric"] as? [String: String] ?? [:]] = (s["value"] as? [Any])?.last as? String
            }
            return out
        }
        let app = "query=\(urlEncode("{app=~\".+\"}"))"
        #expect(try vector(app) == [["app": "a"]: "500", ["app": "b"]: "100"])
        #expect(try vector(app + "&targetLabels=env") == [["env": "prod"]: "400", ["env": "dev"]: "200"])
        #expect(try vector(app + "&targetLabels=app,env&limit=1") == [["app": "a", "env": "prod"]: "300"])
        #expect(try vector(app + "&targetLabels=app,env&aggregateBy=labels") == [["app": ""]: "600", ["env": ""]: "600"])

        let r = try server.client.get("/loki/api/v1/index/volume_range?\(window)&step=10&\(app)")
        let data = try #require((try r.json() as? [String: Any])?["data"] as? [String: Any], "\(r.text)")
        #expect(data["resultType"] as? String == "matrix")
        let a = (data["result"] as? [[String: Any]])?.first { ($0["metric"] as? [String: String]) == ["app": "a"] }
        let points = (a?["values"] as? [[Any]] ?? []).compactMap { Double($0.last as? String ?? "") }
        #expect(points.count == 3 && abs(points.reduce(0, +) - 500) <= 2, "\(r.text)")
        #expect(try server.client.get("/loki/api/v1/index/volume?\(window)&\(app)&aggregateBy=pods").status == 400)
    }
}
