import Foundation
import KansokuCore
import KansokuTestSupport
import Testing

/// A chosen baseline range through the real binary: the HTTP API's `baseline_start` and
/// `baseline_end`, and `kansoku explain --baseline-from/--baseline-to` against it.
@Suite(.serialized, .requires(TestPaths.kansoku)) struct ExplainBaselineEndToEndTests {
    static let minute: Int64 = 60_000_000_000

    /// The window (last 10 minutes): 30 lines from origin-3, 10 from origin-1. The previous 10
    /// minutes: origin-3 only, so comparing with them instead would show in the counts. The
    /// chosen range (70 to 60 minutes ago): 40 from origin-1, 10 from origin-3.
    static func push(to server: ServerProcess, now: Int64) throws {
        var values: [[String]] = []
        func add(_ n: Int, from start: Int64, upstream: String) {
            for i in 0..<n { values.append([String(start + Int64(i) * 1_000_000_000), "level=error upstream=\(upstream)"]) }
        }
        add(30, from: now - 9 * minute, upstream: "origin-3")
        add(10, from: now - 5 * minute, upstream: "origin-1")
        add(20, from: now - 19 * minute, upstream: "origin-3")
        add(40, from: now - 69 * minute, upstream: "origin-1")
        add(10, from: now - 65 * minute, upstream: "origin-3")
        // Oldest first: an entry far behind the stream's newest would be refused as too late.
        values.sort { Int64($0[0])! < Int64($1[0])! }
        let body = try JSONSerialization.data(withJSONObject: ["streams": [["stream": ["app": "edge"], "values": values]]])
        let r = try server.client.post("/loki/api/v1/push", body: body, contentType: "application/json")
        #expect(r.status == 204, "\(r.text)")
    }

    /// The report inside `{"status":"success","data":…}`.
    static func checkRangeReport(_ answer: [String: Any], start: Int64, end: Int64, _ label: String) {
        #expect(answer["status"] as? String == "success", "\(label)")
        let obj = answer["data"] as? [String: Any] ?? [:]
        let baseline = obj["baseline"] as? [String: Any] ?? [:]
        #expect(baseline["kind"] as? String == "range", "\(label): \(baseline)")
        #expect(baseline["start"] as? String == TimeFormatter.rfc3339Nano(start) && baseline["end"] as? String == TimeFormatter.rfc3339Nano(end), "\(label)")
        #expect(baseline["lines"] as? Int == 50, "\(label): \(baseline)")
        #expect((obj["window"] as? [String: Any])?["lines"] as? Int == 40, "\(label)")
        let top = (obj["changes"] as? [[String: Any]])?.first ?? [:]
        #expect(top["name"] as? String == "upstream" && top["value"] as? String == "origin-3", "\(label): \(top)")
        #expect(top["window_count"] as? Int == 30 && top["baseline_count"] as? Int == 10, "\(label): \(top)")
    }

    @Test func chosenRangeOverHTTPAndTheCommandLine() throws {
        let bin = try #require(TestPaths.binary)
        let server = try ServerProcess(binary: bin, dataDir: TestPaths.makeTempDir("explain-baseline").appendingPathComponent("data"))
        defer { server.stop() }
        let now = Int64(Date().timeIntervalSince1970) * 1_000_000_000
        try Self.push(to: server, now: now)
        let (start, end) = (now - 10 * Self.minute, now)
        let (bs, be) = (now - 70 * Self.minute, now - 60 * Self.minute)
        let query = #"{app="edge"} |= "error""#
        func explain(_ extra: [(String, String)]) throws -> HTTPTestClient.Response {
            let params = [("query", query), ("start", String(start)), ("end", String(end))] + extra
            return try server.client.get("/kansoku/api/v1/explain?" + params.map { "\($0.0)=\(urlEncode($0.1))" }.joined(separator: "&"))
        }

        let r = try explain([("baseline_start", String(bs)), ("baseline_end", TimeFormatter.rfc3339Nano(be))])
        #expect(r.status == 200, "\(r.text)")
        Self.checkRangeReport(try r.json() as? [String: Any] ?? [:], start: bs, end: be, "HTTP")
        // The previous window, for contrast: origin-3 is all of it, so it is no change.
        let previous = try explain([]).json() as? [String: Any] ?? [:]
        #expect(((previous["data"] as? [String: Any])?["baseline"] as? [String: Any])?["lines"] as? Int == 20)

        for (params, message) in [
            ([("baseline_start", String(be)), ("baseline_end", String(bs))], "the baseline's end must be after its start"),
            ([("baseline", "range")], "baseline=range needs baseline_start and baseline_end"),
            ([("baseline_start", String(bs))], "baseline_start and baseline_end go together"),
            ([("baseline", "yesterday"), ("baseline_start", String(bs)), ("baseline_end", String(be))], "choose a range baseline, not yesterday"),
            ([("baseline_start", "soon"), ("baseline_end", String(be))], "invalid parameter \"baseline_start\""),
        ] {
            let bad = try explain(params)
            #expect(bad.status == 400, "\(params): \(bad.text)")
            let error = (try? bad.json() as? [String: Any])?["error"] as? String ?? ""
            #expect(error.contains(message), "\(params): \(bad.text)")
        }

        let cli = try runCommand(bin.path, ["explain", "--addr", server.addr, "-o", "json", "--from", String(start / 1_000_000_000),
                                            "--to", TimeFormatter.rfc3339Nano(end), "--baseline-from", TimeFormatter.rfc3339Nano(bs),
                                            "--baseline-to", String(be / 1_000_000_000), query])
        #expect(cli.status == 0, "\(cli.output.prefix(500))")
        let obj = (try? JSONSerialization.jsonObject(with: Data(cli.output.utf8))) as? [String: Any] ?? [:]
        Self.checkRangeReport(obj, start: bs, end: be, "CLI")

        let half = try runCommand(bin.path, ["explain", "--addr", server.addr, "--baseline-from", "-3h", query])
        #expect(half.status == 2 && half.output.contains("--baseline-from and --baseline-to go together"), "\(half.output)")
        let reversed = try runCommand(bin.path, ["explain", "--addr", server.addr, "--baseline-from", "-2h", "--baseline-to", "-3h", query])
        #expect(reversed.status == 2 && reversed.output.contains("the baseline's end must be after its start"), "\(reversed.output)")
        let help = try runCommand(bin.path, ["explain", "--help"])
        #expect(help.output.contains("--baseline-from") && help.output.contains("--baseline-to"))
    }
}
