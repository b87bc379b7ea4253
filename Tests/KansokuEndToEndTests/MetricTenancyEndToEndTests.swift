import Foundation
import KansokuTestSupport
import Testing

/// `server.tenancy: true` for metrics and rules: two tenants remote-write the same label
/// sets with different values and each has a rule group; every Prometheus read endpoint,
/// asked with each tenant's credentials, answers exactly that tenant's series, rules and
/// alerts, never showing `__tenant__`; missing or forged credentials get nothing.
@Suite(.serialized) struct MetricTenancyEndToEndTests {
    static func data(_ r: HTTPTestClient.Response) throws -> Any? {
        (try r.json() as? [String: Any])?["data"]
    }

    /// `{metric, value}` of an instant vector answer, sorted.
    static func vector(_ r: HTTPTestClient.Response) throws -> [String] {
        let result = (try data(r) as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return result.map { s in
            let metric = (s["metric"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            return "{\(metric)} \((s["value"] as? [Any])?.last as? String ?? "?")"
        }.sorted()
    }

    @Test(.requires(TestPaths.kansoku))
    func credentialsScopeEveryMetricAndRuleEndpoint() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("metric-tenancy")
        let tokenA = "token-for-team-a-0123456789abcdef"
        let tokenB = "token-for-team-b-0123456789abcdef"
        try tokenA.write(to: root.appendingPathComponent("a.token"), atomically: true, encoding: .utf8)
        try tokenB.write(to: root.appendingPathComponent("b.token"), atomically: true, encoding: .utf8)
        var rules = "groups:\n"
        for t in ["team-a", "team-b"] {
            rules += """
              - name: \(t)-rules
                tenant: \(t)
                interval: 1s
                rules:
                  - record: orders:sum
                    expr: sum(orders_total)
                  - alert: OrdersSeen
                    expr: orders_total > 0

            """
        }
        try rules.write(to: root.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        let config = root.appendingPathComponent("kansoku.yaml")
        try """
        server:
          tenancy: true
          tenants:
            - id: team-a
              bearer_token_file: \(root.path)/a.token
            - id: team-b
              bearer_token_file: \(root.path)/b.token
        rules: { files: ["\(root.path)/rules.yaml"], interval: 1s }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("data"), config: config)
        defer { server.stop() }

        let auth = ["team-a": ["Authorization": "Bearer \(tokenA)"], "team-b": ["Authorization": "Bearer \(tokenB)"]]
        let value = ["team-a": 5.0, "team-b": 7.0]
        let now = Int64(Date().timeIntervalSince1970 * 1000) - 2_000
        for t in ["team-a", "team-b"] {
            let own = t == "team-a" ? "only_a" : "only_b"
            // The same label set for both, and a `__tenant__` naming the other tenant, which
            // the receiver replaces.
            for labels in [[("__name__", "orders_total"), ("app", "shop")],
                           [("__name__", own), ("app", "shop"), ("__tenant__", t == "team-a" ? "team-b" : "team-a")]] {
                let r = try server.client.post("/api/v1/write", body: HostileRequestTests.writeRequest(labels, value: value[t]!, timestamp: now),
                                               contentType: "application/x-protobuf", headers: auth[t]!.merging(["Content-Encoding": "snappy"]) { $1 })
                #expect(r.status == 204, "\(t): \(r.text)")
            }
        }

        // Rules run as their tenant: each records its own sum and fires on its own series.
        let deadline = Date().addingTimeInterval(30)
        func q(_ query: String) -> String {
            "/api/v1/query?query=\(urlEncode(query))&time=\(Double(now) / 1000 + 1)"
        }
        while Date() < deadline {
            let ready = try ["team-a", "team-b"].allSatisfy { t in
                try Self.vector(server.client.get("/api/v1/query?query=\(urlEncode("orders:sum"))", headers: auth[t]!)).count == 1
                    && (try Self.data(server.client.get("/api/v1/alerts", headers: auth[t]!)) as? [String: Any])?["alerts"].map { ($0 as? [Any])?.count == 1 } == true
            }
            if ready { break }
            Thread.sleep(forTimeInterval: 0.5)
        }

        // The written series only (rules add `orders:sum`, `ALERTS` and `ALERTS_FOR_STATE`).
        let written = urlEncode(#"{app="shop", __name__=~"orders_total|only_.*"}"#)
        for t in ["team-a", "team-b"] {
            let v = t == "team-a" ? "5" : "7", own = t == "team-a" ? "only_a" : "only_b"
            let h = auth[t]!
            #expect(try Self.vector(server.client.get(q("orders_total"), headers: h)) == ["{__name__=orders_total,app=shop} \(v)"], "\(t)")
            #expect(try Self.vector(server.client.get(q("sum by (__tenant__, app) (orders_total)"), headers: h)) == ["{app=shop} \(v)"], "\(t)")
            // A user's matcher on the hidden label narrows, never widens.
            #expect(try Self.vector(server.client.get(q(#"count by (__name__) ({__tenant__=~".+", app="shop"})"#), headers: h))
                == ["{__name__=\(own)} 1", "{__name__=orders_total} 1"], "\(t)")
            #expect(try Self.vector(server.client.get(q(#"orders_total{__tenant__="team-b"}"#), headers: auth["team-a"]!)) == [])
            let range = try server.client.get("/api/v1/query_range?query=orders_total&start=\(Double(now) / 1000)&end=\(Double(now) / 1000 + 2)&step=1", headers: h)
            #expect(range.text.contains("\"app\":\"shop\"") && range.text.contains("\"\(v)\"") && !range.text.contains("__tenant__"), "\(t): \(range.text)")
            #expect(try Self.vector(server.client.get("/api/v1/query?query=\(urlEncode("orders:sum"))", headers: h)) .map { $0.split(separator: " ")[0] } == ["{__name__=orders:sum}"])
            #expect(try Self.data(server.client.get("/api/v1/series?match[]=\(written)", headers: h)) as? [[String: String]]
                == [["__name__": own, "app": "shop"], ["__name__": "orders_total", "app": "shop"]], "\(t)")
            #expect(try Self.data(server.client.get("/api/v1/labels?match[]=\(written)", headers: h)) as? [String] == ["__name__", "app"], "\(t)")
            #expect(try Self.data(server.client.get("/api/v1/label/__name__/values?match[]=\(written)", headers: h)) as? [String]
                == [own, "orders_total"].sorted(), "\(t)")
            #expect(try Self.data(server.client.get("/api/v1/label/__tenant__/values", headers: h)) as? [String] == [], "\(t)")
            let rulesData = try #require(try Self.data(server.client.get("/api/v1/rules", headers: h)) as? [String: Any])
            let groups = (rulesData["groups"] as? [[String: Any]] ?? []).map { $0["name"] as? String ?? "" }
            #expect(groups == ["\(t)-rules"], "\(t)")
            let alerts = (try Self.data(server.client.get("/api/v1/alerts", headers: h)) as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.map { $0["labels"] as? [String: String] ?? [:] } == [["alertname": "OrdersSeen", "app": "shop"]], "\(t)")
            #expect(alerts.map { $0["value"] as? String ?? "" } == ["\(v)e+00"], "\(t)")
            let federate = try server.client.get("/federate?match[]=\(urlEncode(#"{app="shop"}"#))", headers: h).text
            #expect(federate.contains("orders_total{app=\"shop\"} \(v)") && !federate.contains("__tenant__") && !federate.contains(t == "team-a" ? "only_b" : "only_a"), "\(t): \(federate)")
        }

        // No or forged credentials: nothing, on every read and on write.
        let reads = [q("orders_total"), "/api/v1/series?match[]=orders_total", "/api/v1/labels", "/api/v1/label/__name__/values",
                     "/api/v1/rules", "/api/v1/alerts", "/federate?match[]=orders_total"]
        let forged: [[String: String]] = [[:], ["X-Scope-OrgID": "team-a"], ["Authorization": "Bearer \(tokenA.dropLast())x"],
                                          ["Authorization": "Bearer \(tokenA)", "X-Scope-OrgID": "team-b"]]
        for headers in forged {
            for path in reads {
                let r = try server.client.get(path, headers: headers)
                #expect(r.status == 401 || r.status == 403, "\(headers) \(path): \(r.status) \(r.text)")
                #expect(!r.text.contains("orders") && !r.text.contains("only_"), "\(headers) \(path): \(r.text)")
            }
            let w = try server.client.post("/api/v1/write", body: HostileRequestTests.writeRequest([("__name__", "forged")], timestamp: now),
                                           contentType: "application/x-protobuf", headers: headers.merging(["Content-Encoding": "snappy"]) { $1 })
            #expect(w.status == 401 || w.status == 403, "\(headers): \(w.status)")
        }
    }
}
