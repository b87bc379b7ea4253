import Foundation
import KansokuTestSupport
import Testing

/// `/loki/api/v1/tail` under `server.tenancy` with `server.tenants`: two followers with the
/// same query, one per tenant, each get exactly their own tenant's lines; followers without
/// credentials or naming another tenant are refused at the handshake. (The tail used to take
/// its tenant from the upgrade request as sent, so a token-authenticated follower tailed the
/// default tenant.)
@Suite(.serialized, .requires(TestPaths.kansoku, .python(["websocket"], install: "pip install websocket-client")))
struct TenancyTailEndToEndTests {
    /// A websocket client nobody here wrote (websocket-client): writes each line it gets as
    /// JSON, or the status that refused the handshake, and exits at a line starting "end ".
    static let follower = #"""
    import json, sys, websocket
    url, path, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        ws = websocket.create_connection(url, header=headers, timeout=120)
    except websocket.WebSocketBadStatusException as e:
        open(path, "w").write(json.dumps({"refused": e.status_code}) + "\n")
        sys.exit(0)
    with open(path, "w") as out:
        done = False
        while not done:
            frame = json.loads(ws.recv())
            for s in frame.get("streams", []):
                for ts, line in s["values"]:
                    out.write(json.dumps({"labels": s["stream"], "line": line}) + "\n")
                    done = done or line.startswith("end ")
            out.flush()
    ws.close()
    """#

    static func rows(_ file: URL) -> [[String: Any]] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func eachTenantTailsOnlyItsOwnLines() throws {
        let bin = try #require(TestPaths.binary)
        let py = try #require(TestPaths.which("python3"))
        let root = TestPaths.makeTempDir("tenancy-tail")
        let (tokenA, tokenB) = ("tail-token-a-0123456789abcdef", "tail-token-b-0123456789abcdef")
        try tokenA.write(to: root.appendingPathComponent("a.token"), atomically: true, encoding: .utf8)
        try tokenB.write(to: root.appendingPathComponent("b.token"), atomically: true, encoding: .utf8)
        let config = root.appendingPathComponent("kansoku.yaml")
        try """
        server:
          tenancy: true
          tenants:
            - { id: team-a, bearer_token_file: \(root.path)/a.token }
            - { id: team-b, bearer_token_file: \(root.path)/b.token }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("data"), config: config)
        defer { server.stop() }
        let script = root.appendingPathComponent("follow.py")
        try Self.follower.write(to: script, atomically: true, encoding: .utf8)

        let url = "ws://127.0.0.1:\(server.port)/loki/api/v1/tail?query=\(urlEncode(#"{app="shared"}"#))"
        let followers: [(name: String, headers: [String])] = [
            ("team-a", ["Authorization: Bearer \(tokenA)"]),
            ("team-b", ["Authorization: Bearer \(tokenB)"]),
            ("none", []),
            ("bare org id", ["X-Scope-OrgID: team-a"]),
            ("borrowed", ["Authorization: Bearer \(tokenA)", "X-Scope-OrgID: team-b"]),
        ]
        var running: [(name: String, process: Process, out: URL)] = []
        defer { for f in running where f.process.isRunning { kill(f.process.processIdentifier, SIGKILL); f.process.waitUntilExit() } }
        for (i, f) in followers.enumerated() {
            let out = root.appendingPathComponent("follower-\(i).jsonl")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: py)
            p.arguments = [script.path, url, out.path] + f.headers
            p.standardError = FileHandle.standardError
            try p.run()
            running.append((f.name, p, out))
        }
        let auth = ["team-a": ["Authorization": "Bearer \(tokenA)"], "team-b": ["Authorization": "Bearer \(tokenB)"]]
        func push(_ tenant: String, _ lines: [String]) throws {
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let body = LokiAPIEndToEndTests.pushBody([(["app": "shared", "env": "prod"], lines.enumerated().map { (now + Int64($0.offset), $0.element) })])
            let r = try server.client.post("/loki/api/v1/push", body: body, contentType: "application/json", headers: auth[tenant]!)
            #expect(r.status == 204, "\(tenant): \(r.text)")
        }
        // Both tenants' followers are connected once each has printed one of its sync lines.
        var synced = false
        for i in 0..<300 where !synced {
            try push("team-a", ["sync a \(i)"])
            try push("team-b", ["sync b \(i)"])
            Thread.sleep(forTimeInterval: 0.1)
            synced = running.prefix(2).allSatisfy { Self.rows($0.out).contains { ($0["line"] as? String)?.hasPrefix("sync") == true } }
        }
        try #require(synced, "followers did not connect")
        try push("team-a", (0..<20).map { "team-a line \($0)" } + ["end a"])
        try push("team-b", (0..<30).map { "team-b line \($0)" } + ["end b"])
        for f in running {
            for _ in 0..<600 where f.process.isRunning { Thread.sleep(forTimeInterval: 0.1) }
            #expect(!f.process.isRunning, "\(f.name) follower did not finish")
        }

        for (name, letter, count) in [("team-a", "a", 20), ("team-b", "b", 30)] {
            let rows = Self.rows(running.first { $0.name == name }!.out)
            let lines = rows.compactMap { $0["line"] as? String }
            #expect(lines.filter { !$0.hasPrefix("sync") } == (0..<count).map { "\(name) line \($0)" } + ["end \(letter)"], "\(name): \(lines)")
            #expect(lines.filter { $0.hasPrefix("sync") }.allSatisfy { $0.hasPrefix("sync \(letter) ") }, "\(name): \(lines)")
            #expect(rows.allSatisfy { ($0["labels"] as? [String: String]) == ["app": "shared", "env": "prod"] })
        }
        // Refused at the handshake, before any frame. (Hummingbird's websocket upgrade answers a
        // refusing middleware with 400, where a plain request to the route gets 401 or 403.)
        for name in ["none", "bare org id", "borrowed"] {
            let rows = Self.rows(running.first { $0.name == name }!.out)
            #expect(rows.count == 1 && (400..<500).contains(rows.first?["refused"] as? Int ?? 0), "\(name): \(rows)")
        }
        let plain = "/loki/api/v1/tail?query=\(urlEncode(#"{app="shared"}"#))"
        #expect(try server.client.get(plain).status == 401)
        #expect(try server.client.get(plain, headers: ["Authorization": "Bearer \(tokenA)", "X-Scope-OrgID": "team-b"]).status == 403)
        #expect(try server.client.get("/ready").status == 200)
    }
}
