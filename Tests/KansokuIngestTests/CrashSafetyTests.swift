import KansokuCore
import KansokuLogStore
import Testing

@testable import KansokuIngest

/// The exactly-once argument of `TailService`, exercised at each point where a crash can
/// fall: a crash is a tail state dropped without finishing its work, followed by a new one
/// started on the same positions file (and, where it matters, a store reopened from disk).
@Suite(.serialized) struct CrashSafetyTests {
    /// Lines `prefix-0 ..< prefix-n`.
    func lines(_ prefix: String, _ range: Range<Int>) -> String {
        range.map { "\(prefix)-\($0)\n" }.joined()
    }

    func expectExactlyOnce(_ h: TailHarness, _ file: String, _ n: Int, prefix: String) throws {
        let got = try h.lines(file)
        #expect(got == (0..<n).map { "\(prefix)-\($0)" }, "stored \(got.count) lines, expected \(n) in order")
    }

    @Test func crashAfterAckBeforePositionsSave() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", lines("x", 0..<100))
        let state = try await h.start()
        let (batch, _) = state.collect()
        state.save()  // the pending range is on disk
        _ = try await h.store.append(batch.streams)  // acknowledged...
        // ...and the process dies before recording it. More lines arrive meanwhile.
        try h.dir.append("logs/a.log", lines("x", 100..<150))
        let restarted = try await h.start()
        await h.drain(restarted)
        try expectExactlyOnce(h, "logs/a.log", 150, prefix: "x")
    }

    @Test func crashAfterPendingSavedBeforeAppend() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", lines("y", 0..<80))
        let state = try await h.start()
        _ = state.collect()
        state.save()
        // dies before `append`
        let restarted = try await h.start()
        await h.drain(restarted)
        try expectExactlyOnce(h, "logs/a.log", 80, prefix: "y")
    }

    @Test func crashWithSomeStreamsOfTheBatchDurable() async throws {
        // Two files in one batch; only the first file's stream reached the WAL.
        let h = try TailHarness()
        try h.dir.append("logs/a.log", lines("a", 0..<40))
        try h.dir.append("logs/b.log", lines("b", 0..<60))
        let state = try await h.start()
        let (batch, _) = state.collect()
        #expect(batch.streams.count == 2)
        state.save()
        _ = try await h.store.append([batch.streams[0]])
        // Half of a stream's entries durable as well (a store without per-record atomicity).
        var half = batch.streams[1]
        half.entries = Array(half.entries.prefix(30))
        _ = try await h.store.append([half])
        let restarted = try await h.start()
        await h.drain(restarted)
        try expectExactlyOnce(h, "logs/a.log", 40, prefix: "a")
        try expectExactlyOnce(h, "logs/b.log", 60, prefix: "b")
    }

    @Test func crashWithStoreReopenedFromItsWAL() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", lines("w", 0..<200))
        let state = try await h.start()
        let (batch, _) = state.collect()
        state.save()
        _ = try await h.store.append(batch.streams)
        // The whole server restarts: the store replays its WAL.
        try await h.store.close()
        h.store = try LogStore.open(LogStoreConfig(directory: h.dir.url("data")), logger: .init(label: "test"))
        try h.dir.append("logs/a.log", lines("w", 200..<210))
        await h.drain(try await h.start())
        try expectExactlyOnce(h, "logs/a.log", 210, prefix: "w")
    }

    @Test func crashAfterFlushedPartialLine() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", "p-0\np-1\np-2")
        let state = try await h.start()
        await h.drain(state)
        h.manual.advance(h.settings.partialLineTimeout)
        let (batch, _) = state.collect()  // the unterminated "p-2" as its own line
        state.save()
        _ = try await h.store.append(batch.streams)
        let restarted = try await h.start()
        await h.drain(restarted)
        try expectExactlyOnce(h, "logs/a.log", 3, prefix: "p")
    }

    @Test func pendingRangeRewrittenWhileStoppedIsReadAfresh() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", lines("old", 0..<10))
        let state = try await h.start()
        _ = state.collect()
        state.save()  // pending, never appended
        // While stopped the file is truncated and rewritten with different, longer content.
        try h.dir.write("logs/a.log", lines("new", 0..<20))
        await h.drain(try await h.start())
        try expectExactlyOnce(h, "logs/a.log", 20, prefix: "new")
    }

    @Test func timestampsFromLinesSurviveReconciliation() async throws {
        let h = try TailHarness(pipeline: [
            .regex(RegexStageConfig(expression: "^(?P<t>\\S+) ")),
            .timestamp(TimestampStageConfig(source: "t", format: "RFC3339")),
        ])
        let now = TimeParser.currentNanos()
        let text = (0..<30).map { i in "\(TimeFormatter.rfc3339Nano(now - Int64(30 - i) * 1_000_000_000)) line-\(i)\n" }.joined()
        try h.dir.append("logs/a.log", text + "garbage line without time\n")
        let state = try await h.start()
        let (batch, _) = state.collect()
        state.save()
        _ = try await h.store.append(batch.streams)
        await h.drain(try await h.start())
        let got = try h.lines("logs/a.log")
        #expect(got.count == 31)
        #expect(Set(got).count == 31)
    }
}
