import Foundation
import KansokuTestSupport
import Testing

/// Loki's per-tenant `overrides:` over `limits:`: one tenant's tighter limits answer with
/// Loki's status and text while another tenant, asking the same, is served.
@Suite(.serialized) struct TenantLimitsEndToEndTests {
    static let base: Int64 = 1_700_000_000_000_000_000

    @Test(.requires(TestPaths.kansoku))
    func overridesApplyToTheirTenantOnly() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("tenant-limits")
        let config = root.appendingPathComponent("kansoku.yaml")
        try """
        server: { tenancy: true }
        limits: { max_query_length: 721h, max_entries_limit_per_query: 5000 }
        overrides:
          small:
            max_query_length: 1h
            max_entries_limit_per_query: 10
            max_line_size: 100
            ingestion_rate_mb: 0.001
            ingestion_burst_size_mb: 0.001

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("data"), config: config)
        defer { server.stop() }
        let small = ["X-Scope-OrgID": "small"], large = ["X-Scope-OrgID": "large"]

        // max_line_size: 100 for `small`; the default 256KB for `large`.
        let long = String(repeating: "x", count: 150)
        let longPush = LokiAPIEndToEndTests.pushBody([(["app": "a"], [(Self.base, long)])])
        var r = try server.client.post("/loki/api/v1/push", body: longPush, contentType: "application/json", headers: small)
        #expect(r.status == 400)
        #expect(r.text.contains("Max entry size '100' bytes exceeded for stream '{app=\\\"a\\\"}' while adding an entry with length '150' bytes"), "\(r.text)")
        r = try server.client.post("/loki/api/v1/push", body: longPush, contentType: "application/json", headers: large)
        #expect(r.status == 204, "\(r.text)")

        // ingestion_rate_mb 0.001 (1048 bytes/s, burst 1048): a 2,000-byte push is refused whole.
        let lines = (0..<20).map { (Self.base + Int64($0) * 1_000_000, String(repeating: "y", count: 100)) }
        let bigPush = LokiAPIEndToEndTests.pushBody([(["app": "b"], lines)])
        r = try server.client.post("/loki/api/v1/push", body: bigPush, contentType: "application/json", headers: small)
        #expect(r.status == 429)
        #expect(r.text.contains("Ingestion rate limit exceeded for user small (limit: 1048 bytes/sec) while attempting to ingest '20' lines totaling '2000' bytes"), "\(r.text)")
        r = try server.client.post("/loki/api/v1/push", body: bigPush, contentType: "application/json", headers: large)
        #expect(r.status == 204, "\(r.text)")

        // max_query_length: 1h for `small`.
        let twoHours = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"b\"}"))&start=\(Self.base)&end=\(Self.base + 7_200_000_000_000)"
        r = try server.client.get(twoHours + "&limit=5", headers: small)
        #expect(r.status == 400)
        #expect(r.text.contains("the query time range exceeds the limit (query length: 2h0m0s, limit: 1h0m0s)"), "\(r.text)")
        r = try server.client.get(twoHours + "&limit=5", headers: large)
        #expect(r.status == 200 && r.text.components(separatedBy: "yyyy\"]").count - 1 == 5, "\(r.text)")
        let rangeVector = "/loki/api/v1/query?query=\(urlEncode("count_over_time({app=\"b\"}[2h])"))&time=\(Self.base)"
        #expect(try server.client.get(rangeVector, headers: small).status == 400)
        #expect(try server.client.get(rangeVector, headers: large).status == 200)

        // max_entries_limit_per_query: 10 for `small`.
        let oneHour = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"b\"}"))&start=\(Self.base)&end=\(Self.base + 3_600_000_000_000)&limit=11"
        r = try server.client.get(oneHour, headers: small)
        #expect(r.status == 400)
        #expect(r.text.contains("max entries limit per query exceeded, limit > max_entries_limit (11 > 10)"), "\(r.text)")
        r = try server.client.get(oneHour, headers: large)
        #expect(r.status == 200 && r.text.components(separatedBy: "yyyy\"]").count - 1 == 11, "\(r.text)")
        #expect(try server.client.get("/ready").status == 200)
    }
}
