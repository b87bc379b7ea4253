import KansokuCore
@testable import KansokuExplain
import KansokuLogQL
import KansokuLogStore
import Testing

/// The runner over a LogQL engine: which lines each side reads, the fallback when the baseline
/// is empty, and a request followed across streams.
@Suite struct ExplainerTests {
    static let t0: Int64 = 1_764_900_000_000_000_000
    static let second: Int64 = 1_000_000_000

    /// nginx and api streams: an hour of normal traffic, then an hour in which origin-3 fails.
    static func engine(withHistory: Bool) -> LogQLEngine {
        var nginx: [LogEntry] = [], api: [LogEntry] = [], origin: [LogEntry] = []
        for i in 0..<7200 where withHistory || i >= 3600 {
            let t = t0 + Int64(i) * second
            let failing = i >= 3600 && i % 4 == 0
            let upstream = failing ? "origin-3" : "origin-\(i % 3)"
            let id = String(format: "%016llx", UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
            nginx.append(LogEntry(timestamp: t + 5_000_000, line: "10.0.0.\(i % 250) - - [x] \"GET /live/seg-\(i).ts HTTP/1.1\" \(failing ? (i % 8 == 0 ? 504 : 503) : 200) 10 \"-\" \"p\" rt=0.1 upstream=\(upstream) request_id=\(id)"))
            api.append(LogEntry(timestamp: t + 1_000_000, line: failing ? "ERROR fetch failed origin=origin-3 request_id=\(id)" : "INFO served origin=\(upstream) request_id=\(id)"))
            origin.append(LogEntry(timestamp: t + 2_000_000, line: "INFO \(upstream) sent segment request_id=\(id)"))
        }
        let svc = ["service": "streaming"]
        return LogQLEngine(reader: MemoryLogReader([
            StreamBatch(labels: Labels(svc.merging(["app": "nginx"]) { a, _ in a }), entries: nginx),
            StreamBatch(labels: Labels(svc.merging(["app": "api"]) { a, _ in a }), entries: api),
            // No `service` label: following a request must find it anyway.
            StreamBatch(labels: Labels(["job": "origin"]), entries: origin),
        ]))
    }

    static let query = #"{service="streaming"} |~ "ERROR| 50[0-9] ""#

    @Test func previousWindowBaseline() async throws {
        let e = Explainer(engine: Self.engine(withHistory: true), tenant: LogStore.defaultTenant)
        let r = try await e.explain(ExplainRequest(query: Self.query, start: Self.t0 + 3600 * Self.second, end: Self.t0 + 7200 * Self.second))
        #expect(r.baseline.kind == "previous" && r.note == nil)
        #expect(r.window.lines == 1800 && !r.window.sampled)
        #expect(r.baseline.lines == ExplainRequest.defaultSampleLines && r.baseline.sampled)   // 7200 lines in the hour before, sampled
        #expect(ExplainRequest.defaultSampleLines == 2500)
        let top = try #require(r.changes.first)
        #expect(top.value == "origin-3" && (top.name == "upstream" || top.name == "origin"), "\(r.changes.prefix(3))")
        #expect(r.patterns.allSatisfy { $0.new })   // no error line before
        #expect(!r.changes.contains { $0.name == "service" })
        #expect(r.skipped.contains { $0.name == "request_id" })
    }

    @Test func emptyBaselineFallsBackToTheWindowsOtherLines() async throws {
        let e = Explainer(engine: Self.engine(withHistory: false), tenant: LogStore.defaultTenant)
        let r = try await e.explain(ExplainRequest(query: Self.query, start: Self.t0 + 3600 * Self.second, end: Self.t0 + 7200 * Self.second))
        #expect(r.baseline.kind == "rest")
        #expect(r.note?.contains("no lines in the previous window") == true)
        #expect(r.changes.first?.value == "origin-3", "\(r.changes.prefix(3))")
        var filtered = ExplainRequest(query: Self.query, start: Self.t0 + 3600 * Self.second, end: Self.t0 + 7200 * Self.second)
        filtered.filters = [ExplainFilter(name: "app", value: "nginx")]
        let f = try await e.explain(filtered)
        #expect(f.window.lines == 900)
        #expect(f.changes.first?.name == "upstream" && f.changes.first?.value == "origin-3", "\(f.changes.prefix(4))")
    }

    /// A chosen range is the baseline: its lines are exactly the selector's in the range (the
    /// first 100 s of the failing hour: 100 nginx and 100 api lines, 25 of each failing).
    @Test func chosenRangeBaseline() async throws {
        let e = Explainer(engine: Self.engine(withHistory: true), tenant: LogStore.defaultTenant)
        var request = ExplainRequest(query: Self.query, start: Self.t0 + 3600 * Self.second, end: Self.t0 + 7200 * Self.second)
        request.baseline = .range
        request.baselineRange = BaselineRange(start: Self.t0 + 3600 * Self.second, end: Self.t0 + 3700 * Self.second)
        let r = try await e.explain(request)
        #expect(r.baseline.kind == "range" && r.note == nil)
        #expect(r.baseline.start == TimeFormatter.rfc3339Nano(Self.t0 + 3600 * Self.second))
        #expect(r.baseline.end == TimeFormatter.rfc3339Nano(Self.t0 + 3700 * Self.second))
        #expect(r.baseline.lines == 200 && !r.baseline.sampled)
        let upstream = try #require(r.changes.first { $0.name == "upstream" && $0.value == "origin-3" })
        #expect(upstream.windowCount == 900 && upstream.baselineCount == 25)
        #expect(upstream.windowShare == 0.5 && upstream.baselineShare == 0.125)
        // Patterns are new against the range's error lines, which already have them.
        #expect(r.patterns.contains { !$0.new })

        request.baselineRange = nil
        await #expect(throws: ExplainError.invalidArgument("a range baseline needs its start and end")) { try await e.explain(request) }
        request.baselineRange = BaselineRange(start: Self.t0, end: Self.t0)
        await #expect(throws: ExplainError.invalidArgument("the baseline's end must be after its start")) { try await e.explain(request) }
    }

    /// 1800 error lines in the window and 7200 lines in the hour before, explained with 100
    /// lines a side: each side has exactly 100, said to be sampled; the window's pass gives the
    /// lines the query leaves out too, 100 of them.
    @Test func largeWindowsAreSampled() async throws {
        let e = Explainer(engine: Self.engine(withHistory: true), tenant: LogStore.defaultTenant)
        let (start, end) = (Self.t0 + 3600 * Self.second, Self.t0 + 7200 * Self.second)
        var request = ExplainRequest(query: Self.query, start: start, end: end)
        request.sampleLines = 100
        let r = try await e.explain(request)
        #expect(r.window.lines == 100 && r.window.sampled)
        #expect(r.baseline.kind == "previous" && r.baseline.lines == 100 && r.baseline.sampled)
        let window = try await e.read(Self.query, start, end, limit: 100, sides: .other)
        #expect(window.matching.lines.count == 100 && window.other.lines.count == 100 && window.all.lines.isEmpty)
        #expect(window.matching.lines.allSatisfy { $0.line.hasPrefix("ERROR") || $0.line.contains(" 50") })
        #expect(window.other.lines.allSatisfy { !$0.line.hasPrefix("ERROR") && !$0.line.contains(" 50") })
        // Stream by stream (api, then nginx), oldest first within each.
        let apps = window.matching.lines.map { $0.labels["app"] ?? "" }
        #expect(apps == apps.sorted() && Set(apps) == ["api", "nginx"])
        for app in ["api", "nginx"] {
            let ts = window.matching.lines.filter { $0.labels["app"] == app }.map(\.timestamp)
            #expect(ts == ts.sorted())
        }
        #expect(window.blocksInRange == 10)   // 5 blocks (of up to 1024 lines) per stream overlap the second hour
    }

    @Test func baselineRangesAsTyped() throws {
        let now: Int64 = 1_764_968_400_000_000_000   // 2025-12-05T21:00:00Z
        let hour: Int64 = 3_600_000_000_000
        #expect(try BaselineRange.parse("-3h..-2h", now: now) == BaselineRange(start: now - 3 * hour, end: now - 2 * hour))
        #expect(try BaselineRange.parse(" now-90m  now-30m ", now: now) == BaselineRange(start: now - 3 * hour / 2, end: now - hour / 2))
        #expect(try BaselineRange.parse("2025-12-05T19:00:00Z..2025-12-05T20:00:00Z", now: now) == BaselineRange(start: now - 2 * hour, end: now - hour))
        #expect(try BaselineRange.parse("1764961200..1764964800", now: now) == BaselineRange(start: now - 2 * hour, end: now - hour))
        #expect(throws: ExplainError.invalidArgument("the baseline's end must be after its start")) { try BaselineRange.parse("-2h..-3h", now: now) }
        #expect(throws: ExplainError.self) { try BaselineRange.parse("yesterday", now: now) }
        #expect(throws: ExplainError.self) { try BaselineRange.parse("soon..-2h", now: now) }
        #expect(throws: ExplainError.invalidArgument("the baseline may span at most 31 days")) { try BaselineRange.parse("-40d..-1d", now: now) }
        // `b` steps previous → yesterday → a chosen range → previous.
        #expect([BaselineChoice.previous, .yesterday, .range, .rest].map(\.next) == [.yesterday, .range, .previous, .previous])
    }

    @Test func badRequestsAreRefused() async {
        let e = Explainer(engine: Self.engine(withHistory: false), tenant: LogStore.defaultTenant)
        await #expect(throws: ExplainError.invalidQuery("explain needs a log query, not a metric query")) {
            try await e.explain(ExplainRequest(query: #"count_over_time({a="b"}[1m])"#, start: 0, end: 10))
        }
        await #expect(throws: ExplainError.invalidArgument("end must be after start")) {
            try await e.explain(ExplainRequest(query: #"{a="b"}"#, start: 10, end: 10))
        }
    }

    @Test func followsOneRequestAcrossStreams() async throws {
        let f = RequestFollower(engine: Self.engine(withHistory: false), tenant: LogStore.defaultTenant)
        let i = 4000
        let id = String(format: "%016llx", UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
        let tl = try await f.follow(ids: [id], time: Self.t0 + Int64(i) * Self.second)
        #expect(tl.entries.map(\.service) == ["api", "origin", "nginx"])
        #expect(tl.entries.map(\.level) == ["error", "info", "error"])
        #expect(tl.entries.map(\.offset) == [0, 0.001, 0.004])
        #expect(tl.entries.allSatisfy { $0.line.contains(id) })
    }
}
