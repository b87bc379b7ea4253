import Testing
import KansokuCore
@testable import KansokuPromQL

/// Newer PromQL syntax: duration expressions, fill modifiers, extended range selectors, info().
@Suite struct ExtensionsTests {
    func printed(_ q: String) throws -> String { try PromQLParser.parse(q).description }

    @Test func printsNewSyntax() throws {
        #expect(try printed("a + fill(0) b") == "a + fill(0) b")
        #expect(try printed("a + on(x) group_left fill_left(1) fill_right(2) b") == "a + on (x) group_left () fill_left(1) fill_right(2) b")
        #expect(try printed("rate(x[1m] anchored)") == "rate(x[1m] anchored)")
        #expect(try printed("x smoothed") == "x smoothed")
        #expect(try printed("count_over_time(x[step()])") == "count_over_time(x[step()])")
        #expect(try printed("x[26m+4m]") == "x[30m]")
    }

    @Test func modifierRestrictions() {
        #expect(throws: PromQLError.self) { _ = try PromQLParser.parse("max_over_time(x[1m] smoothed)") }
        #expect(throws: PromQLError.self) { _ = try PromQLParser.parse("a and fill(0) b") }
        #expect(throws: PromQLError.self) { _ = try PromQLParser.parse("deriv(x[1m] anchored)") }
    }

    @Test func durationExpressionsResolvePerQuery() async throws {
        let s = InMemoryQueryable()
        for i in 0...100 { s.add(Labels(["__name__": "m"]), t: Int64(i) * 1000, v: Double(i)) }
        let engine = PromQLEngine(queryable: s)
        guard case .matrix(let m) = try await engine.rangeQuery("count_over_time(m[step()])", start: 50_000, end: 60_000, step: 10_000) else {
            Issue.record("not a matrix")
            return
        }
        #expect(m.first?.points.map(\.v) == [10, 10])
    }

    @Test func fillCreatesMissingSides() async throws {
        let s = InMemoryQueryable()
        s.add(Labels(["__name__": "l", "k": "a"]), t: 0, v: 1)
        s.add(Labels(["__name__": "r", "k": "b"]), t: 0, v: 2)
        let engine = PromQLEngine(queryable: s)
        guard case .vector(let v) = try await engine.instantQuery("l + fill(10) r", at: 0) else { Issue.record("not a vector"); return }
        #expect(Set(v.map { "\($0.labels) \($0.v)" }) == ["{k=\"a\"} 11.0", "{k=\"b\"} 12.0"])
    }

    @Test func infoAddsTargetInfoLabels() async throws {
        let s = InMemoryQueryable()
        s.add(Labels(["__name__": "up", "job": "api", "instance": "h:1"]), t: 0, v: 1)
        s.add(Labels(["__name__": "target_info", "job": "api", "instance": "h:1", "region": "eu"]), t: 0, v: 1)
        let engine = PromQLEngine(queryable: s)
        guard case .vector(let v) = try await engine.instantQuery("info(up, {region=~\".*\"})", at: 0) else { Issue.record("not a vector"); return }
        #expect(v.map(\.labels) == [Labels(["__name__": "up", "job": "api", "instance": "h:1", "region": "eu"])])
    }
}
