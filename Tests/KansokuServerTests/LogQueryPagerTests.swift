import KansokuCore
@testable import KansokuServer
import Testing

/// `kansoku query` paging, against a stand-in server that answers as Loki does: the `limit`
/// newest (or oldest) lines of `[start, end)`.
@Suite struct LogQueryPagerTests {
    struct Entry { var stream: Labels; var ts: Int64; var line: String }

    /// 3 lines per timestamp across two streams, two of them in one stream, and one line
    /// repeated verbatim in both streams at the same instant.
    static let entries: [Entry] = (0..<250).flatMap { i -> [Entry] in
        let a = Labels(["app": "a"]), b = Labels(["app": "b"])
        let ts = 1_000 + Int64(i) * 10
        return [Entry(stream: a, ts: ts, line: "a\(i)"), Entry(stream: a, ts: ts, line: "a\(i)'"),
                Entry(stream: b, ts: ts, line: i % 50 == 0 ? "a\(i)" : "b\(i)")]
    }

    static func answer(limit: Int, start: Int64, end: Int64, forward: Bool, cap: Int = .max) -> QueryResultModel {
        let inRange = entries.filter { $0.ts >= start && $0.ts < end }
        let ordered = inRange.sorted { forward ? $0.ts < $1.ts : $0.ts > $1.ts }.prefix(min(limit, cap))
        var streams: [Labels: [QueryResultModel.Line]] = [:]
        for e in ordered { streams[e.stream, default: []].append(.init(timestamp: e.ts, line: e.line)) }
        return .streams(streams.map { .init(labels: $0.key, lines: $0.value) })
    }

    func run(limit: Int, batch: Int, forward: Bool, cap: Int = .max) async throws -> (lines: [String], requests: Int) {
        var printed: [String] = []
        var requests = 0
        let pager = LogQueryPager(limit: limit, batchSize: batch, forward: forward)
        try await pager.run(start: 0, end: 1_000_000) { size, from, through in
            requests += 1
            return Self.answer(limit: size, start: from, end: through, forward: forward, cap: cap)
        } emit: { result in
            guard case .streams(let streams) = result else { return }
            for s in streams { for l in s.lines { printed.append("\(s.labels["app"] ?? "")/\(l.line)") } }
        }
        return (printed, requests)
    }

    static var all: [String] { entries.map { "\($0.stream["app"] ?? "")/\($0.line)" } }

    @Test(arguments: [true, false]) func everyLineExactlyOnce(forward: Bool) async throws {
        let (lines, requests) = try await run(limit: 20_000, batch: 100, forward: forward)
        #expect(lines.count == Self.all.count)
        #expect(Set(lines) == Set(Self.all))
        #expect(requests >= Self.all.count / 100)
    }

    @Test func limitZeroFetchesEverything() async throws {
        #expect(try await run(limit: 0, batch: 64, forward: false).lines.count == Self.all.count)
    }

    @Test func stopsAtTheLimitWithTheNewestLines() async throws {
        let (lines, _) = try await run(limit: 250, batch: 100, forward: false)
        #expect(lines.count == 250)
        let newest = Self.entries.sorted { $0.ts > $1.ts }
        let cutoff = newest[249].ts
        #expect(lines.allSatisfy { l in Self.entries.contains { "\($0.stream["app"] ?? "")/\($0.line)" == l && $0.ts >= cutoff } })
    }

    @Test func aServerThatReturnsLessThanAskedIsPagedToTheEnd() async throws {
        let (lines, _) = try await run(limit: 0, batch: 100, forward: true, cap: 40)
        #expect(lines.count == Self.all.count)
    }

    @Test func aBatchSmallerThanOneInstantIsRefused() async throws {
        await #expect(throws: LogQueryPager.Failure.batchTooSmall(batchSize: 3, sameTimestamp: 3)) {
            _ = try await run(limit: 100, batch: 3, forward: false)
        }
    }
}
