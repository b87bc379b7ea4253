import Testing
import KansokuCore
import KansokuPromQL

/// Two tenants write the same label sets with different values; each must see only its own,
/// without the hidden `__tenant__` label, whatever the query says about it.
@Suite struct TenantQueryableTests {
    static func store() -> InMemoryQueryable {
        let s = InMemoryQueryable()
        for (tenant, scale) in [("team-a", 1.0), ("team-b", 100.0)] {
            for code in ["200", "500"] {
                let labels = Labels(["__name__": "req_total", "job": "api", "code": code])
                for i in 0...20 {
                    s.add(MetricTenancy.labels(labels, tenant: tenant), t: Int64(i) * 15_000, v: Double(i) * scale * (code == "200" ? 10 : 1))
                }
            }
        }
        // A series written with tenancy off belongs to no tenant.
        s.add(Labels(["__name__": "req_total", "job": "api", "code": "200"]), t: 300_000, v: 7)
        return s
    }

    static func vector(_ q: String, tenant: String) async throws -> [PromQLSample] {
        let engine = PromQLEngine(queryable: store()).scoped(to: tenant)
        guard case .vector(let samples) = try await engine.instantQuery(q, at: 300_000) else {
            Issue.record("\(q) is not a vector")
            return []
        }
        return samples
    }

    @Test func selectsOnlyTheTenantAndHidesTheLabel() async throws {
        let a = try await Self.vector("req_total", tenant: "team-a")
        #expect(a.map(\.labels) == [Labels(["__name__": "req_total", "job": "api", "code": "200"]),
                                     Labels(["__name__": "req_total", "job": "api", "code": "500"])])
        #expect(a.map(\.v) == [200, 20])
        let b = try await Self.vector("req_total", tenant: "team-b")
        #expect(b.map(\.v) == [20_000, 2_000])
        #expect(try await Self.vector("req_total", tenant: "team-c").isEmpty)
    }

    @Test func aggregationNeverSeesTheTenant() async throws {
        let sum = try await Self.vector("sum(req_total)", tenant: "team-a")
        #expect(sum.map(\.labels) == [Labels()])
        #expect(sum.map(\.v) == [220])
        let without = try await Self.vector("sum without (code) (req_total)", tenant: "team-b")
        #expect(without.map(\.labels) == [Labels(["job": "api"])])
        #expect(without.map(\.v) == [22_000])
        let by = try await Self.vector("count by (__tenant__) (req_total)", tenant: "team-a")
        #expect(by.map(\.labels) == [Labels()])
        #expect(by.map(\.v) == [2])
    }

    @Test func aUserMatcherOnTheTenantCannotWidenAccess() async throws {
        let any = try await Self.vector(#"req_total{__tenant__=~".+"}"#, tenant: "team-a")
        #expect(any.map(\.v) == [200, 20])
        #expect(try await Self.vector(#"req_total{__tenant__="team-b"}"#, tenant: "team-a").isEmpty)
        #expect(try await Self.vector(#"{__tenant__=~"team-.*"}"#, tenant: "team-b").map(\.v) == [20_000, 2_000])
        #expect(try await Self.vector(#"req_total{__tenant__!="team-a"}"#, tenant: "team-a").isEmpty)
    }

    @Test func writesReplaceAForgedTenant() {
        let forged = Labels(["__name__": "x", "__tenant__": "team-b"])
        #expect(MetricTenancy.labels(forged, tenant: "team-a") == Labels(["__name__": "x", "__tenant__": "team-a"]))
        #expect(MetricTenancy.visible(MetricTenancy.labels(forged, tenant: "team-a")) == Labels(["__name__": "x"]))
    }
}
