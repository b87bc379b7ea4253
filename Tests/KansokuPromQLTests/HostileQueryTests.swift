import Foundation
import Testing
import KansokuCore
@testable import KansokuPromQL

/// Queries that once took the whole process down (traps, stack overflows, unbounded memory)
/// and now answer with Prometheus's errors or results.
@Suite struct HostileQueryTests {
    static func engine() -> PromQLEngine {
        let s = InMemoryQueryable()
        for i in 0...20 {
            s.add(Labels(["__name__": "up", "job": "api"]), t: Int64(i) * 15_000, v: 1)
        }
        return PromQLEngine(queryable: s)
    }

    static func error(_ q: String, _ engine: PromQLEngine = engine(), at t: Int64 = 300_000) async -> PromQLError? {
        do {
            _ = try await engine.instantQuery(q, at: t)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Float parameters that do not fit an integer

    @Test(arguments: [
        ("topk(-Inf, vector(1))", "Scalar value -Inf overflows int64"),
        ("topk(Inf, vector(1))", "Scalar value +Inf overflows int64"),
        ("bottomk(1e19, vector(1))", "Scalar value 1e+19 overflows int64"),
        ("limitk(-Inf, vector(1))", "Scalar value -Inf overflows int64"),
        ("limitk(-1e300, up)", "Scalar value -1e+300 overflows int64"),
        ("topk(NaN, vector(1))", "Parameter value is NaN"),
    ])
    func kParameterOutOfRange(_ q: String, _ message: String) async {
        #expect(await Self.error(q) == .execution(message))
    }

    @Test func kParameterAtTheEdges() async throws {
        let e = Self.engine()
        guard case .vector(let a) = try await e.instantQuery("topk(9.2e18, up)", at: 300_000),
              case .vector(let b) = try await e.instantQuery("bottomk(-9.2e18, up)", at: 300_000) else {
            Issue.record("not vectors")
            return
        }
        #expect(a.count == 1)
        #expect(b.isEmpty)
    }

    @Test func ratioAndQuantileOutOfRange() async throws {
        let e = Self.engine()
        let r = try await e.instantQueryResult("limit_ratio(-Inf, up)", at: 300_000)
        #expect(r.warnings == ["PromQL warning: ratio value should be between -1 and 1, got -Inf, capping to -1"])
        let q = try await e.instantQueryResult("quantile(-Inf, up)", at: 300_000)
        #expect(q.value == .vector([PromQLSample(labels: Labels(), t: 300_000, v: -.infinity)]))
        #expect(q.warnings == ["PromQL warning: quantile value should be between 0 and 1, got -Inf"])
        #expect(await Self.error("count_values(\"x\", vector(1e308))") == nil)
    }

    // MARK: Times that do not fit an integer

    @Test(arguments: ["minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year"])
    func dateFunctionsOnHugeTimes(_ fn: String) async throws {
        let e = Self.engine()
        for v in ["1e19", "-1e19", "9.3e18", "-9.3e18", "Inf", "-Inf", "NaN", "1.7976931348623157e308"] {
            guard case .vector(let out) = try await e.instantQuery("\(fn)(vector(\(v)))", at: 0) else {
                Issue.record("not a vector")
                return
            }
            #expect(out.count == 1)
        }
    }

    @Test func otherFunctionsOnHugeValues() async throws {
        let e = Self.engine()
        for q in ["round(vector(1e19), 1e-300)", "round(vector(-Inf), 0)", "timestamp(vector(1e19))",
                  "predict_linear(up[5m], 1e300)", "predict_linear(up[5m], -Inf)",
                  "double_exponential_smoothing(up[5m], 0.5, 0.5)", "histogram_quantile(1e300, up)",
                  "label_replace(up, \"a\", \"$99999999999999999999\", \"job\", \"(.*)\")",
                  "clamp(vector(1e19), -Inf, Inf)", "up offset 290000000y", "up[290000000y] offset 290000000y",
                  "up @ 9.2e15 offset -290000000y", "count_over_time(up[1m:1m] @ -9.2e15 offset 290000000y)"] {
            _ = try await e.instantQuery(q, at: 300_000)
        }
    }

    @Test func hugeDurationLiteralsAreParseErrors() {
        #expect(throws: PromQLError.self) { try PromQLParser.parse("up[290000000y290000000w]") }
        #expect(PromDuration(durationOrSeconds: "1e300") == nil)
        #expect(PromDuration(seconds: 1e300).milliseconds == .max)
        #expect(PromDuration(seconds: -1e300).nanoseconds == .min)
    }

    // MARK: Deep nesting

    @Test func tenThousandParentheses() async throws {
        let q = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        let v = try await Self.engine().instantQuery(q, at: 0)
        #expect(v == .scalar(t: 0, v: 1))
        let vec = String(repeating: "(", count: 10_000) + "up" + String(repeating: ")", count: 10_000)
        guard case .vector(let out) = try await Self.engine().instantQuery("sum(" + vec + ")", at: 300_000) else {
            Issue.record("not a vector")
            return
        }
        #expect(out.count == 1)
    }

    @Test func fiveThousandUnaryMinus() async throws {
        let v = try await Self.engine().instantQuery(String(repeating: "-", count: 5_000) + "vector(2)", at: 0)
        #expect(v == .vector([PromQLSample(labels: Labels(), t: 0, v: 2)]))
        let r = try await Self.engine().rangeQuery(String(repeating: "- ", count: 5_001) + "up", start: 0, end: 60_000, step: 30_000)
        guard case .matrix(let m) = r else { Issue.record("not a matrix"); return }
        #expect(m.first?.points.map(\.v) == [-1, -1, -1])
    }

    @Test func longOperatorChainsAndDeepCalls() async throws {
        let sum = Array(repeating: "1", count: 10_000).joined(separator: " + ")
        #expect(try await Self.engine().instantQuery(sum, at: 0) == .scalar(t: 0, v: 10_000))
        let pow = Array(repeating: "1", count: 5_000).joined(separator: "^")
        #expect(try await Self.engine().instantQuery(pow, at: 0) == .scalar(t: 0, v: 1))
        let abs = String(repeating: "abs(", count: 5_000) + "up" + String(repeating: ")", count: 5_000)
        guard case .vector(let out) = try await Self.engine().instantQuery(abs, at: 300_000) else {
            Issue.record("not a vector")
            return
        }
        #expect(out.count == 1)
        let dur = "up[" + String(repeating: "(", count: 5_000) + "1m" + String(repeating: ")", count: 5_000) + "]"
        _ = try await Self.engine().instantQuery("rate(\(dur))", at: 300_000)
        let durStep = "up[" + String(repeating: "(", count: 3_000) + "step()" + String(repeating: ")", count: 3_000) + " + 1m]"
        _ = try await Self.engine().rangeQuery("rate(\(durStep))", start: 0, end: 60_000, step: 30_000)
    }

    @Test func nestingPastTheLimitIsAPositionedParseError() async throws {
        let depth = PromQLParser.maxQueryDepth + 10
        let parens = String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
        let message = "expression nesting exceeds the maximum depth of \(PromQLParser.maxQueryDepth)"
        guard case .parse(let pos, let m)? = await Self.error(parens) else { Issue.record("no parse error"); return }
        #expect(m == message)
        #expect(pos.line == 1 && pos.column == PromQLParser.maxQueryDepth + 1)
        let minus = String(repeating: "-", count: depth) + "1"
        guard case .parse(_, let m2)? = await Self.error(minus) else { Issue.record("no parse error"); return }
        #expect(m2 == message)
        let chain = Array(repeating: "1", count: depth).joined(separator: "+")
        guard case .parse(_, let m3)? = await Self.error(chain) else { Issue.record("no parse error"); return }
        #expect(m3 == message)
        // The synchronous parser is safe from any thread, too.
        #expect(throws: PromQLError.self) { try PromQLParser.parse(parens) }
        let ok = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        _ = try PromQLParser.parse(ok)
        #expect(throws: PromQLError.self) { try PromQLParser.parseSelector(String(repeating: "(", count: 100) + "up") }
    }

    // MARK: Samples, time and concurrency

    @Test func hugeSubqueryIsRefusedBeforeAllocating() async {
        #expect(await Self.error("count_over_time(vector(1)[3650d:1ms])") == PromQLError.tooManySamples)
        #expect(PromQLError.tooManySamples.description == "query processing would load too many samples into memory in query execution")
    }

    @Test func maxSamplesCountsLoadedSubqueryAndRangeSamples() async throws {
        var e = Self.engine()
        e.maxSamples = 10
        #expect(await Self.error("up[5m]", e) == PromQLError.tooManySamples)
        // An instant query's plain selector reads one sample per series, as Prometheus counts.
        #expect(await Self.error("up", e) == nil)
        let s = InMemoryQueryable()
        s.add(Labels(["__name__": "one"]), t: 0, v: 1)
        var small = PromQLEngine(queryable: s)
        small.maxSamples = 50
        #expect(await Self.error("count_over_time(vector(1)[100s:1s])", small, at: 100_000) == PromQLError.tooManySamples)
        _ = try await small.instantQuery("count_over_time(vector(1)[40s:1s])", at: 100_000)
        do {
            _ = try await small.rangeQuery("vector(1)", start: 0, end: 100_000, step: 1000)
            Issue.record("no error")
        } catch {
            #expect(error == PromQLError.tooManySamples)
        }
    }

    /// Minutes of work (6h:1s inside 6h:1s) unless something stops it.
    static let slowQuery = "count_over_time(count_over_time(vector(1)[6h:1s])[6h:1s])"

    @Test func timeoutStopsEvaluation() async {
        var e = Self.engine()
        e.timeout = .milliseconds(50)
        #expect(await Self.error(Self.slowQuery, e) == .timeout("query timed out in expression evaluation"))
    }

    @Test func cancellationStopsEvaluation() async {
        let e = Self.engine()
        let task = Task { await Self.error(Self.slowQuery, e) }
        try? await Task.sleep(for: .milliseconds(20))
        task.cancel()
        #expect(await task.value == .canceled("query was canceled in expression evaluation"))
    }

    @Test func gateAdmitsAtMostLimitAndHandsPlacesOn() async {
        let gate = QueryGate(limit: 1)
        #expect(await gate.acquire())
        let waiter = Task { await gate.acquire() }
        while gate.waiting == 0 { await Task.yield() }
        #expect(gate.running == 1)
        gate.release()
        #expect(await waiter.value)
        #expect(gate.running == 1 && gate.waiting == 0)
        let cancelled = Task { await gate.acquire() }
        while gate.waiting == 0 { await Task.yield() }
        cancelled.cancel()
        #expect(await cancelled.value == false)
        gate.release()
        #expect(gate.running == 0)
    }

    @Test func gatedEngineRunsQueriesOneAtATime() async throws {
        var e = Self.engine()
        e.gate = QueryGate(limit: 1)
        let engine = e
        try await withThrowingTaskGroup(of: PromQLValue.self) { group in
            for _ in 0..<8 { group.addTask { try await engine.instantQuery("sum(up)", at: 300_000) } }
            for try await v in group { #expect(v == .vector([PromQLSample(labels: Labels(), t: 300_000, v: 1)])) }
        }
        #expect(e.gate?.running == 0)
    }

    @Test func timeParserRefusesTimesBeyondInt64() {
        for t in ["9223372036.999999999", "9999-01-01T00:00:00Z", "now+300000000y", "now-300000000y", "1e300", "-1e300", "NaN"] {
            #expect(throws: TimeParseError.self) { try TimeParser.parse(t) }
        }
    }
}
