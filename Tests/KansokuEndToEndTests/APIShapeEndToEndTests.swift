import Foundation
import KansokuTestSupport
import Testing

/// Every Loki and Prometheus answer of the real binary, held against the checked-in shapes of
/// the peers' Go types (`Tests/APIShapes`): an unknown field, a missing one or a number where
/// Go wants a bool fails, as it fails logcli, Grafana and the Prometheus Go client.
@Suite(.serialized) struct APIShapeEndToEndTests {
    /// The shape checker itself refuses what the peers' decoders refuse; without this, an
    /// all-accepting checker would pass every test below.
    @Test func checkerRefusesWhatGoRefuses() throws {
        let stats = try JSONShape(fixture: "loki/stats.json")
        var good = try #require(stats.example.exampleInstance())
        #expect(stats.mismatches(good) == [])

        func mutate(_ path: [String], _ change: (inout JSONValue) -> Void) -> JSONValue {
            var copy = good
            copy.update(path, change)
            return copy
        }
        #expect(stats.mismatches(mutate(["index", "usedBloomFilters"]) { $0 = .number("0") })
                == ["$.index.usedBloomFilters: expected bool, got number 0"])
        #expect(stats.mismatches(mutate(["summary", "totalBytesProcessed"]) { $0 = .number("12.5") })
                == ["$.summary.totalBytesProcessed: expected an integer, got number 12.5"])
        #expect(stats.mismatches(mutate(["summary", "execTime"]) { $0 = .number("1") }) == [])
        #expect(stats.mismatches(mutate(["querier", "store", "chunk"]) { $0 = .object([]) }).count == 9)
        good.update(["index"]) { index in
            if case .object(var m) = index { m.append(.init(key: "usedBlooms", value: .bool(true))); index = .object(m) }
        }
        #expect(stats.mismatches(good) == ["$.index.usedBlooms: unknown field"])

        let streams = try JSONShape(fixture: "loki/query-streams.json")
        let bad = #"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"a":"b"},"values":[[1700000000,"x"]]}],"stats":{}}}"#
        let problems = streams.mismatches(Data(bad.utf8))
        #expect(problems.contains("$.data.result[0].values[0][0]: expected string, got number 1700000000"))
        #expect(problems.contains("$.data.stats.summary: missing"))
        #expect(streams.mismatches(Data(#"{"status":"success","status":"success","data":{}}"#.utf8)).contains("$.status: repeated key"))
    }

    @Test(.requires(TestPaths.kansoku)) func lokiAnswersDecodeAsLokisTypes() throws {
        let fixture = try LokiShapeFixture()
        defer { fixture.server.stop() }
        let s = fixture.server, (from, to) = (fixture.from, fixture.to)
        let range = "start=\(from)&end=\(to)"
        let selector = urlEncode(#"{app="api"}"#)
        let checks: [(String, String)] = [
            ("loki/query-streams.json", "/loki/api/v1/query_range?query=\(selector)&\(range)&limit=50"),
            ("loki/query-streams.json", "/loki/api/v1/query_range?query=\(urlEncode(#"{app="api"} |= "no such line""#))&\(range)"),
            ("loki/query-matrix.json", "/loki/api/v1/query_range?query=\(urlEncode(#"sum by (level) (count_over_time({app="api"}[1m]))"#))&\(range)&step=60"),
            ("loki/query-vector.json", "/loki/api/v1/query?query=\(urlEncode(#"sum by (level) (count_over_time({app="api"}[1h]))"#))&time=\(to)"),
            ("loki/query-vector.json", "/loki/api/v1/query?query=\(urlEncode(#"count_over_time({app="nothing"}[1h])"#))&time=\(to)"),
            ("loki/query-scalar.json", "/loki/api/v1/query?query=\(urlEncode("-1 + 2"))&time=\(to)"),
            ("loki/index-stats.json", "/loki/api/v1/index/stats?query=\(selector)&\(range)"),
            ("loki/index-volume.json", "/loki/api/v1/index/volume?query=\(selector)&\(range)"),
            ("loki/index-volume-range.json", "/loki/api/v1/index/volume_range?query=\(selector)&\(range)&step=60"),
            ("loki/series.json", "/loki/api/v1/series?match[]=\(selector)&\(range)"),
            ("loki/labels.json", "/loki/api/v1/labels?\(range)"),
            ("loki/label-values.json", "/loki/api/v1/label/level/values?\(range)"),
            ("loki/label-values.json", "/loki/api/v1/label/no_such_label/values?\(range)"),
        ]
        for (shape, path) in checks { try expectShape(shape, s.client.get(path), path) }
    }

    @Test(.requires(TestPaths.kansoku)) func prometheusAnswersDecodeAsPrometheusTypes() throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("prom-shapes")
        let data = dir.appendingPathComponent("data")
        let now = Int64(Date().timeIntervalSince1970)
        var text = "# TYPE http_requests counter\n"
        for i in 0..<10 {
            for code in ["200", "500"] {
                text += "http_requests_total{job=\"api\",code=\"\(code)\"} \(i * (code == "200" ? 10 : 1)) \(now - 600 + Int64(i) * 60)\n"
            }
        }
        text += "# EOF\n"
        let file = dir.appendingPathComponent("backfill.om")
        try Data(text.utf8).write(to: file)
        let imported = try runCommand(bin.path, ["metrics", "import", "--data-dir", data.path, file.path])
        #expect(imported.status == 0, "\(imported.output)")

        let server = try ServerProcess(binary: bin, dataDir: data)
        defer { server.stop() }
        let (start, end) = (now - 600, now)
        let checks: [(String, String)] = [
            ("prometheus/query-vector.json", "/api/v1/query?query=http_requests_total&time=\(end)"),
            ("prometheus/query-vector.json", "/api/v1/query?query=\(urlEncode("sum by (code) (rate(http_requests_total[5m]))"))&time=\(end)"),
            ("prometheus/query-matrix.json", "/api/v1/query_range?query=http_requests_total&start=\(start)&end=\(end)&step=60"),
            ("prometheus/query-scalar.json", "/api/v1/query?query=\(urlEncode("-1 + 2"))&time=\(end)"),
            ("prometheus/query-string.json", "/api/v1/query?query=\(urlEncode("\"kansoku\""))&time=\(end)"),
            ("prometheus/series.json", "/api/v1/series?match[]=http_requests_total&start=\(start)&end=\(end)"),
            ("prometheus/labels.json", "/api/v1/labels"),
            ("prometheus/labels.json", "/api/v1/label/code/values"),
        ]
        for (shape, path) in checks { try expectShape(shape, server.client.get(path), path) }
        let bad = try server.client.get("/api/v1/query?query=\(urlEncode("sum(rate(x[5m])"))")
        #expect(bad.status == 400)
        try expectShape("prometheus/error.json", bad, "a query that does not parse", status: 400)
    }
}

/// A server holding two streams of `app="api"` over the last ten minutes, for shape tests.
struct LokiShapeFixture {
    let server: ServerProcess
    let from: Int64
    let to: Int64

    init(lines: Int = 120) throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("loki-shapes")
        server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        to = Int64(Date().timeIntervalSince1970 * 1e9)
        from = to - 600_000_000_000
        var streams: [[String: Any]] = []
        for level in ["info", "error"] {
            let values = (0..<lines).map { i -> [String] in
                [String(from + Int64(i) * 4_000_000_000 + (level == "error" ? 1 : 0)), "level=\(level) request \(i) took \(i % 7)ms"]
            }
            streams.append(["stream": ["app": "api", "level": level], "values": values])
        }
        let body = try JSONSerialization.data(withJSONObject: ["streams": streams])
        let r = try server.client.post("/loki/api/v1/push", body: body, contentType: "application/json")
        #expect(r.status == 204, "\(r.text)")
    }
}

/// Expects a 2xx (or `status`) answer whose body fits the named fixture, listing every mismatch.
func expectShape(_ fixture: String, _ response: HTTPTestClient.Response, _ what: String, status: Int = 200,
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(response.status == status, "\(what): \(response.text)", sourceLocation: sourceLocation)
    let problems = try JSONShape(fixture: fixture).mismatches(response.body)
    #expect(problems.isEmpty, "\(what) against \(fixture):\n\(problems.prefix(10).joined(separator: "\n"))\n\(response.text.prefix(400))",
            sourceLocation: sourceLocation)
}

extension JSONValue {
    /// A document of this shape with every optional key present: what a fixture example
    /// itself stands for, used to check the checker.
    func exampleInstance() -> JSONValue? {
        switch self {
        case .object(let members):
            var out: [Member] = []
            for m in members {
                guard let v = m.value.exampleInstance() else { return nil }
                out.append(.init(key: m.key.hasPrefix("?") ? String(m.key.dropFirst()) : m.key, value: v))
            }
            return .object(out)
        case .array(let elements):
            let values = elements.compactMap { $0.exampleInstance() }
            return values.count == elements.count ? .array(values) : nil
        case .string(let s):
            if s.hasPrefix("=") { return .string(String(s.dropFirst())) }
            if s == "<ns>" { return .string("1700000000000000000") }
            if s == "<float>" { return .string("1.5") }
            return .string(s)
        default:
            return self
        }
    }

    /// Applies `change` to the value at the object path `path`.
    mutating func update(_ path: [String], _ change: (inout JSONValue) -> Void) {
        guard let first = path.first else { return change(&self) }
        guard case .object(var members) = self, let i = members.firstIndex(where: { $0.key == first }) else { return }
        members[i].value.update(Array(path.dropFirst()), change)
        self = .object(members)
    }
}
