import Foundation
import KansokuTestSupport
import Testing

/// Real clients nobody here wrote, talking to the real binary: python-logging-loki pushing,
/// and the calls Grafana's Loki data source makes, validated for shape by a Python script.
@Suite(.serialized) struct PythonClientsInteropTests {
    static func python() -> String? {
        guard let py = TestPaths.which("python3") else { return nil }
        let check = try? runCommand(py, ["-c", "import logging_loki"])
        return check?.status == 0 ? py : nil
    }

    @Test(.requires(TestPaths.kansoku, .pythonLoggingLoki))
    func pythonLoggingLokiPushesAreQueryable() throws {
        let bin = try #require(TestPaths.binary)
        let py = try #require(Self.python())
        let dir = TestPaths.makeTempDir("py-loki")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let script = """
        import logging, logging_loki, sys
        handler = logging_loki.LokiHandler(url="\(server.addr)/loki/api/v1/push", tags={"application": "interop"}, version="1")
        log = logging.getLogger("interop")
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        for i in range(25):
            log.error("payment failed order=%d reason=timeout", i, extra={"tags": {"service": "checkout"}})
        print("sent")
        """
        let r = try runCommand(py, ["-c", script])
        #expect(r.status == 0, "\(r.output)")
        let q = "/loki/api/v1/query_range?query=\(urlEncode("{application=\"interop\", service=\"checkout\"}"))&since=1h&limit=1000&direction=forward"
        let answer = try server.client.get(q)
        #expect(answer.status == 200, "\(answer.text)")
        let data = try #require((try answer.json() as? [String: Any])?["data"] as? [String: Any])
        let result = try #require(data["result"] as? [[String: Any]])
        let lines = result.flatMap { ($0["values"] as? [[String]] ?? []).map { $0[1] } }
        #expect(lines == (0..<25).map { "payment failed order=\($0) reason=timeout" })
        let stream = try #require(result.first?["stream"] as? [String: String])
        #expect(stream["severity"] == "error")
        #expect(stream["logger"] == "interop")
    }

    @Test(.requires(TestPaths.kansoku, .python3))
    func grafanaStyleCallsHaveLokiShapes() throws {
        let bin = try #require(TestPaths.binary)
        let py = try #require(TestPaths.which("python3"))
        let dir = TestPaths.makeTempDir("grafana-shapes")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        // The script pushes, then makes the calls Grafana's Loki data source makes, checking
        // every field it reads.
        let script = #"""
        import json, time, urllib.request, urllib.parse, sys
        base = sys.argv[1]
        now = time.time_ns()
        body = {"streams": [{"stream": {"app": "web", "level": "error"},
                             "values": [[str(now - (100 - i) * 10**9), f"GET /x {500 if i % 4 == 0 else 200} took={i}ms"] for i in range(100)]}]}
        req = urllib.request.Request(base + "/loki/api/v1/push", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        assert urllib.request.urlopen(req).status == 204
        def get(path, **params):
            with urllib.request.urlopen(base + path + "?" + urllib.parse.urlencode(params)) as r:
                assert r.headers["Content-Type"].startswith("application/json"), r.headers["Content-Type"]
                return json.load(r)
        start, end = str(now - 3600 * 10**9), str(now + 10**9)
        labels = get("/loki/api/v1/labels", start=start, end=end)
        assert labels["status"] == "success" and "app" in labels["data"], labels
        vals = get("/loki/api/v1/label/level/values", start=start, end=end)
        assert vals["data"] == ["error"], vals
        series = get("/loki/api/v1/series", **{"match[]": '{app="web"}', "start": start, "end": end})
        assert series["data"] == [{"app": "web", "level": "error"}], series
        logs = get("/loki/api/v1/query_range", query='{app="web"} |= " 500 "', start=start, end=end, limit=1000, direction="backward", step="15s")
        d = logs["data"]
        assert d["resultType"] == "streams", d
        vs = d["result"][0]["values"]
        assert len(vs) == 25 and all(isinstance(v[0], str) and v[0].isdigit() for v in vs), vs[:3]
        assert [int(v[0]) for v in vs] == sorted([int(v[0]) for v in vs], reverse=True)
        assert "summary" in d["stats"] and "execTime" in d["stats"]["summary"]
        m = get("/loki/api/v1/query_range", query='sum by (level) (count_over_time({app="web"}[5m]))', start=start, end=end, step="60")
        assert m["data"]["resultType"] == "matrix", m
        for s in m["data"]["result"]:
            assert isinstance(s["metric"], dict)
            for t, v in s["values"]:
                assert isinstance(t, (int, float)) and isinstance(v, str)
        inst = get("/loki/api/v1/query", query='sum(count_over_time({app="web"} |= " 500 " [10m]))', time=str(now + 10**9))
        assert inst["data"]["resultType"] == "vector", inst
        assert inst["data"]["result"][0]["value"][1] == "25", inst
        st = get("/loki/api/v1/index/stats", query='{app="web"}', start=start, end=end)
        assert st["streams"] == 1 and st["entries"] == 100, st
        print("ok")
        """#
        let r = try runCommand(py, ["-c", script, server.addr])
        #expect(r.status == 0 && r.output.contains("ok"), "\(r.output)")
    }
}
