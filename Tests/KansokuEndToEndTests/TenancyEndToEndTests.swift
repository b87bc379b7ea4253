import Foundation
import KansokuTestSupport
import Testing

/// `server.tenancy: true` with `server.tenants`: credentials decide the tenant. Two tenants
/// push streams with the same labels; every Loki read endpoint, asked with each tenant's
/// credentials, answers with that tenant's data only, and missing, wrong or borrowed
/// credentials get nothing.
@Suite(.serialized) struct TenancyEndToEndTests {
    static let base: Int64 = 1_700_000_000_000_000_000

    @Test(.requires(TestPaths.kansoku))
    func credentialsScopeEveryLogReadEndpoint() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("tenancy")
        let tokenA = "token-for-team-a-0123456789abcdef"
        let passwordB = "password-of-team-b-0123456789"
        try tokenA.write(to: root.appendingPathComponent("a.token"), atomically: true, encoding: .utf8)
        try passwordB.write(to: root.appendingPathComponent("b.pass"), atomically: true, encoding: .utf8)
        let config = root.appendingPathComponent("kansoku.yaml")
        try """
        server:
          tenancy: true
          tenants:
            - id: team-a
              bearer_token_file: \(root.path)/a.token
            - id: team-b
              basic_auth: { username: grafana, password_file: \(root.path)/b.pass }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("data"), config: config)
        defer { server.stop() }

        let authA = ["Authorization": "Bearer \(tokenA)"]
        let authB = ["Authorization": "Basic " + Data("grafana:\(passwordB)".utf8).base64EncodedString()]
        let lines: [String: [(Int64, String)]] = [
            "team-a": (0..<20).map { (Self.base + Int64($0) * 1_000_000, "team-a line \($0) status=500") },
            "team-b": (0..<30).map { (Self.base + Int64($0) * 1_000_000, "team-b line \($0) status=200") },
        ]
        for (tenant, auth) in [("team-a", authA), ("team-b", authB)] {
            let extra = tenant == "team-a" ? "only_a" : "only_b"
            let body = LokiAPIEndToEndTests.pushBody([(["app": "shared", "env": "prod"], lines[tenant]!),
                                                      (["app": extra, "env": "prod"], [(Self.base, "\(tenant) private")])])
            let r = try server.client.post("/loki/api/v1/push", body: body, contentType: "application/json", headers: auth)
            #expect(r.status == 204, "\(r.text)")
        }

        let end = Self.base + 10_000_000_000
        let selector = urlEncode("{env=\"prod\"}")
        let reads = [
            "/loki/api/v1/query_range?query=\(selector)&start=\(Self.base)&end=\(end)&limit=1000",
            "/loki/api/v1/query?query=\(urlEncode("sum by (app) (count_over_time({env=\"prod\"}[1h]))"))&time=\(end)",
            "/loki/api/v1/labels?start=\(Self.base)&end=\(end)",
            "/loki/api/v1/label/app/values?start=\(Self.base)&end=\(end)",
            "/loki/api/v1/series?match[]=\(selector)&start=\(Self.base)&end=\(end)",
            "/loki/api/v1/index/stats?query=\(selector)&start=\(Self.base)&end=\(end)",
            "/loki/api/v1/index/volume?query=\(selector)&start=\(Self.base)&end=\(end)",
        ]
        var answers: [String: [String]] = [:]
        for (tenant, auth) in [("team-a", authA), ("team-b", authB)] {
            let other = tenant == "team-a" ? "team-b" : "team-a"
            for path in reads {
                let r = try server.client.get(path, headers: auth)
                #expect(r.status == 200, "\(tenant) \(path): \(r.text)")
                #expect(!r.text.contains(other) && !r.text.contains(other == "team-a" ? "only_a" : "only_b"), "\(tenant) \(path): \(r.text)")
                answers[tenant, default: []].append(r.text)
            }
            // Borrowing another tenant's name with one's own credentials is refused.
            var borrowed = auth
            borrowed["X-Scope-OrgID"] = other
            #expect(try server.client.get(reads[0], headers: borrowed).status == 403)
            // Naming one's own tenant is fine.
            var own = auth
            own["X-Scope-OrgID"] = tenant
            #expect(try server.client.get(reads[0], headers: own).status == 200)
        }
        // Each tenant sees exactly its own lines.
        let rangeA = try #require(answers["team-a"]?.first)
        let rangeB = try #require(answers["team-b"]?.first)
        #expect(rangeA.components(separatedBy: "team-a line").count - 1 == 20)
        #expect(rangeB.components(separatedBy: "team-b line").count - 1 == 30)
        #expect(answers["team-a"]![3].contains("only_a") && answers["team-b"]![3].contains("only_b"))

        // No, wrong, or forged credentials: nothing.
        let forged: [[String: String]] = [
            [:],
            ["X-Scope-OrgID": "team-a"],
            ["Authorization": "Bearer \(tokenA.dropLast())x"],
            ["Authorization": "Bearer \(tokenA)", "X-Scope-OrgID": "team-b"],
            ["Authorization": "Basic " + Data("grafana:wrong-password-0123456789".utf8).base64EncodedString()],
            ["Authorization": "Basic " + Data("team-a:\(passwordB)".utf8).base64EncodedString()],
        ]
        for headers in forged {
            for path in reads + ["/loki/api/v1/push"] {
                let r = path.hasSuffix("push")
                    ? try server.client.post(path, body: LokiAPIEndToEndTests.pushBody([(["app": "x"], [(Self.base, "forged")])]),
                                             contentType: "application/json", headers: headers)
                    : try server.client.get(path, headers: headers)
                #expect(r.status == 401 || r.status == 403, "\(headers) \(path): \(r.status) \(r.text)")
                #expect(!r.text.contains("line"), "\(headers) \(path): \(r.text)")
            }
        }
        #expect(try server.client.get("/ready").status == 200)
    }

    @Test(.requires(TestPaths.kansoku))
    func invalidTenantIDsAreRefusedAsLokiRefusesThem() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("tenancy-ids")
        let config = root.appendingPathComponent("kansoku.yaml")
        try "server: { tenancy: true }\n".write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("data"), config: config)
        defer { server.stop() }
        let path = "/loki/api/v1/labels"
        for bad in ["..", "a/b", "tenant with space", String(repeating: "x", count: 151), "é"] {
            let r = try server.client.get(path, headers: ["X-Scope-OrgID": bad])
            #expect(r.status == 400, "\(bad): \(r.status) \(r.text)")
        }
        for good in ["team-a", "A_b.c*(1)!'", String(repeating: "x", count: 150)] {
            #expect(try server.client.get(path, headers: ["X-Scope-OrgID": good]).status == 200, "\(good)")
        }
    }
}
