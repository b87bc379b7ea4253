import Foundation
import KansokuTestSupport
import Testing

/// The requests logcli 3.x sends (`pkg/logcli/client`, `pkg/logcli/query`), byte for byte in
/// their query strings, replayed against the real binary; every answer must fit the shape
/// logcli decodes it into, and `query --limit 20000 --batch 1000` must page through every line
/// exactly once as logcli pages.
@Suite(.serialized, .requires(TestPaths.kansoku)) struct LogcliReplayEndToEndTests {
    static let userAgent = "loki-logcli/3.5.0"

    /// Go's `url.Values.Encode`: keys sorted, values escaped by `url.QueryEscape`.
    static func goQuery(_ params: [(String, String)]) -> String {
        params.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }
            .map { "\(goEscape($0.element.0))=\(goEscape($0.element.1))" }.joined(separator: "&")
    }

    static func goEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "): out += "+"
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    func get(_ server: ServerProcess, _ path: String, _ params: [(String, String)]) throws -> HTTPTestClient.Response {
        try server.client.get(path + "?" + Self.goQuery(params), headers: ["User-Agent": Self.userAgent])
    }

    @Test func everyLogcliCommandDecodes() throws {
        let fixture = try LokiShapeFixture()
        defer { fixture.server.stop() }
        let s = fixture.server
        let now = fixture.to + 1_000_000_000
        let since = now - 3_600_000_000_000
        let query = #"{app="api"}"#

        // logcli query '{app="api"}' (--since 1h, --limit 30: one batch of 30, BACKWARD)
        try expectShape("loki/query-streams.json", get(s, "/loki/api/v1/query_range", [
            ("query", query), ("limit", "30"), ("start", String(since)), ("end", String(now)), ("direction", "BACKWARD"),
        ]), "logcli query")
        // logcli query 'sum(count_over_time(…))' (a metric range query; logcli sends no step)
        try expectShape("loki/query-matrix.json", get(s, "/loki/api/v1/query_range", [
            ("query", #"sum by (level) (count_over_time({app="api"}[5m]))"#), ("limit", "30"),
            ("start", String(since)), ("end", String(now)), ("direction", "BACKWARD"),
        ]), "logcli query (metric)")
        // logcli instant-query 'sum(count_over_time(…))'
        try expectShape("loki/query-vector.json", get(s, "/loki/api/v1/query", [
            ("query", #"sum by (level) (count_over_time({app="api"}[1h]))"#), ("limit", "30"),
            ("time", String(now)), ("direction", "BACKWARD"),
        ]), "logcli instant-query")
        // logcli instant-query '{app="api"}' is refused, as Loki 3 refuses log queries at an instant.
        #expect(try get(s, "/loki/api/v1/query", [
            ("query", query), ("limit", "30"), ("time", String(now)), ("direction", "BACKWARD"),
        ]).status == 400)
        // logcli labels; logcli labels level
        try expectShape("loki/labels.json", get(s, "/loki/api/v1/labels", [("start", String(since)), ("end", String(now))]), "logcli labels")
        try expectShape("loki/label-values.json", get(s, "/loki/api/v1/label/level/values", [("start", String(since)), ("end", String(now))]),
                        "logcli labels level")
        // logcli series '{app="api"}' (logcli sends `match`, not `match[]`)
        let series = try get(s, "/loki/api/v1/series", [("start", String(since)), ("end", String(now)), ("match", query)])
        try expectShape("loki/series.json", series, "logcli series")
        #expect((try series.json() as? [String: Any])?["data"] as? [[String: String]]
                == [["app": "api", "level": "error"], ["app": "api", "level": "info"]])
        // logcli stats '{app="api"}'
        let stats = try get(s, "/loki/api/v1/index/stats", [("start", String(since)), ("end", String(now)), ("query", query)])
        try expectShape("loki/index-stats.json", stats, "logcli stats")
        #expect((try stats.json() as? [String: Any])?["entries"] as? Int == 240)
        // logcli volume '{app="api"}'; logcli volume_range --step 1m; --aggregate-by labels --target-labels level
        try expectShape("loki/index-volume.json", get(s, "/loki/api/v1/index/volume", [
            ("start", String(since)), ("end", String(now)), ("query", query), ("limit", "100"),
        ]), "logcli volume")
        try expectShape("loki/index-volume-range.json", get(s, "/loki/api/v1/index/volume_range", [
            ("start", String(since)), ("end", String(now)), ("query", query), ("limit", "100"), ("step", "60"),
        ]), "logcli volume_range")
        try expectShape("loki/index-volume.json", get(s, "/loki/api/v1/index/volume", [
            ("start", String(since)), ("end", String(now)), ("query", query), ("limit", "100"),
            ("targetLabels", "level"), ("aggregateBy", "labels"),
        ]), "logcli volume --aggregate-by labels")
    }

    /// `logcli query --since 1h --limit 20000 --batch 1000 '{app="pager"}'`, with logcli's own
    /// paging: each batch asks for at most 1000, the next ends a nanosecond after the oldest line
    /// seen, and lines at that boundary already printed are dropped. Several lines share each
    /// boundary timestamp, across streams, so a pager that loses or repeats one is caught.
    @Test func logcliPagingSeesEveryLineOnce() throws {
        let bin = try #require(TestPaths.binary)
        let server = try ServerProcess(binary: bin, dataDir: TestPaths.makeTempDir("logcli-paging").appendingPathComponent("data"))
        defer { server.stop() }
        let pushed = try PagingData.push(to: server)

        let now = Int64(Date().timeIntervalSince1970 * 1e9) + 1_000_000_000
        let start = now - 3_600_000_000_000
        var end = now
        let limit = 20_000, batch = 1000
        var total = 0, requests = 0
        var printed: [String] = []
        var lastEntries: [(ts: Int64, line: String)] = []
        while total < limit {
            var size = batch
            if limit - total < batch { size = limit - total + lastEntries.count }
            let r = try get(server, "/loki/api/v1/query_range", [
                ("query", #"{app="pager"}"#), ("limit", String(size)), ("start", String(start)), ("end", String(end)),
                ("direction", "BACKWARD"),
            ])
            requests += 1
            try expectShape("loki/query-streams.json", r, "batch \(requests)")
            let entries = try PagingData.entries(r).sorted { $0.ts > $1.ts }
            var shown = 0
            for e in entries {
                if let first = lastEntries.first, e.ts == first.ts, lastEntries.contains(where: { $0.line == e.line }) { continue }
                printed.append(e.line)
                shown += 1
            }
            guard shown > 0, let oldest = entries.last else { break }
            lastEntries = entries.filter { $0.ts == oldest.ts }
            if shown == limit { break }
            #expect(lastEntries.count < batch)
            total += shown
            end = oldest.ts + 1
        }
        #expect(requests >= pushed.count / batch)
        #expect(printed.count == pushed.count)
        #expect(Set(printed).count == printed.count)
        #expect(Set(printed) == Set(pushed))
    }
}

/// Lines for paging tests: two streams, three lines on each of many shared timestamps, so
/// batch boundaries fall inside groups of equal timestamps.
enum PagingData {
    static func push(to server: ServerProcess, count: Int = 4_500) throws -> [String] {
        let base = Int64(Date().timeIntervalSince1970 * 1e9) - 1_800_000_000_000
        var byStream: [String: [[String]]] = ["a": [], "b": []]
        var all: [String] = []
        for i in 0..<count {
            let stream = i % 3 == 2 ? "b" : "a"
            let line = "pager line \(i) of stream \(stream)"
            byStream[stream, default: []].append([String(base + Int64(i / 3) * 1_000_000), line])
            all.append(line)
        }
        let streams = byStream.map { ["stream": ["app": "pager", "part": $0.key], "values": $0.value] as [String: Any] }
        let r = try server.client.post("/loki/api/v1/push", body: try JSONSerialization.data(withJSONObject: ["streams": streams]),
                                       contentType: "application/json")
        #expect(r.status == 204, "\(r.text)")
        return all
    }

    static func entries(_ r: HTTPTestClient.Response) throws -> [(ts: Int64, line: String)] {
        let data = try #require((try r.json() as? [String: Any])?["data"] as? [String: Any])
        let result = try #require(data["result"] as? [[String: Any]])
        return result.flatMap { s in ((s["values"] as? [[String]]) ?? []).map { (Int64($0[0]) ?? 0, $0[1]) } }
    }
}
