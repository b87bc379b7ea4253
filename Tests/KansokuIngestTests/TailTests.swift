import Glibc
import KansokuCore
import KansokuLogStore
import Synchronization
import Testing

@testable import KansokuIngest

/// A clock the test moves by hand, so timeouts need no sleeping.
final class ManualClock: Sendable {
    let monotonicNow = Mutex<Int64>(1_000_000_000)

    var clock: TailClock {
        TailClock(wall: { TimeParser.currentNanos() }, monotonic: { [self] in monotonicNow.withLock { $0 } })
    }

    func advance(_ ns: Int64) { monotonicNow.withLock { $0 += ns } }
}

/// A tailer and a real log store in a temporary directory, driven step by step.
final class TailHarness {
    let dir: TempDir
    let manual = ManualClock()
    var store: LogStore
    var config: LogsConfig
    var settings = TailSettings()
    let registry = MetricsRegistry()

    init(pipeline: [PipelineStageConfig]? = nil, paths: [String] = ["logs/*.log"]) throws {
        let dir = try TempDir()
        self.dir = dir
        store = try LogStore.open(LogStoreConfig(directory: dir.url("data")), logger: .init(label: "test"))
        config = LogsConfig(targets: [LogTargetConfig(paths: paths.map { dir.url($0) }, labels: ["job": "test"],
                                                      pipeline: pipeline)])
        settings.batchBytes = 1 << 20
    }

    func service() throws -> TailService {
        try TailService(config: config, dataDirectory: dir.url("data"), sink: store, settings: settings, clock: manual.clock,
                        metrics: registry)
    }

    /// A fresh tail state, as after a (re)start.
    func start() async throws -> TailState {
        let state = TailState(service: try service())
        await state.start()
        return state
    }

    /// Reads and stores everything available.
    func drain(_ state: TailState) async {
        while true {
            let (batch, _) = state.collect()
            if batch.isEmpty { break }
            await state.send(batch)
        }
        state.saveIfDirty()
    }

    /// All stored lines of the stream of `file`, oldest first.
    func lines(_ file: String) throws -> [String] {
        let m = try LabelMatcher(name: "filename", type: .equal, value: dir.url(file))
        let found = try store.select(LogSelect(matchers: [m], from: 0, through: Int64.max, direction: .forward, limit: 0))
        return found.flatMap(\.entries).map { String(decoding: $0.line, as: UTF8.self) }
    }

    func allEntries() throws -> [StreamEntries] {
        let m = try LabelMatcher(name: "job", type: .equal, value: "test")
        return try store.select(LogSelect(matchers: [m], from: 0, through: Int64.max, direction: .forward, limit: 0))
    }
}

@Suite(.serialized) struct TailTests {
    @Test func tailsNewFilesAndAppendedLines() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", "a1\na2\n")
        let state = try await h.start()
        await h.drain(state)
        #expect(try h.lines("logs/a.log") == ["a1", "a2"])
        try h.dir.append("logs/a.log", "a3\n")
        try h.dir.append("logs/b.log", "b1\n")
        state.discover()
        await h.drain(state)
        #expect(try h.lines("logs/a.log") == ["a1", "a2", "a3"])
        #expect(try h.lines("logs/b.log") == ["b1"])
        let streams = try h.allEntries()
        #expect(streams.allSatisfy { $0.stream.labels["job"] == "test" })
        // Timestamps strictly increase within a stream.
        for s in streams { #expect(zip(s.entries, s.entries.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp }) }
    }

    @Test func partialLastLineWaitsThenFlushesAfterTimeout() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", "one\ntw")
        let state = try await h.start()
        await h.drain(state)
        #expect(try h.lines("logs/a.log") == ["one"])
        try h.dir.append("logs/a.log", "o\nthr")
        await h.drain(state)
        #expect(try h.lines("logs/a.log") == ["one", "two"])
        h.manual.advance(h.settings.partialLineTimeout)
        await h.drain(state)
        #expect(try h.lines("logs/a.log") == ["one", "two", "thr"])
        // Nothing is read twice after a restart.
        let again = try await h.start()
        await h.drain(again)
        #expect(try h.lines("logs/a.log") == ["one", "two", "thr"])
    }

    @Test func restartResumesFromSavedOffset() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", "1\n2\n")
        await h.drain(try await h.start())
        try h.dir.append("logs/a.log", "3\n")
        await h.drain(try await h.start())
        #expect(try h.lines("logs/a.log") == ["1", "2", "3"])
    }

    @Test func rotationByRenameAndCreate() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/app.log", "old1\nold2\n")
        let state = try await h.start()
        await h.drain(state)
        // The writer appends once more, then logrotate renames and the app opens a new file; the
        // writer's last line reaches the old inode after the rename.
        try h.dir.append("logs/app.log", "old3\n")
        try h.dir.rename("logs/app.log", "logs/app.log.1")
        try h.dir.append("logs/app.log.1", "old4\n")
        try h.dir.append("logs/app.log", "new1\n")
        state.discover()
        await h.drain(state)
        // The old inode keeps its stream (filename of discovery), the new file starts its own.
        #expect(try h.lines("logs/app.log") == ["old1", "old2", "old3", "old4", "new1"])
        let byStream = try h.allEntries()
        #expect(byStream.count == 1)  // both files were discovered as logs/app.log
        #expect(state.files.count == 2)
        h.manual.advance(h.settings.rescanInterval)
        state.closeDrained()
        #expect(state.files.count == 1)
    }

    @Test func rotationWhileStoppedFinishesTheOldFile() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/app.log", "a\nb\n")
        await h.drain(try await h.start())
        try h.dir.append("logs/app.log", "c\n")
        try h.dir.rename("logs/app.log", "logs/app.log.1")
        try h.dir.append("logs/app.log", "d\n")
        await h.drain(try await h.start())
        #expect(try h.lines("logs/app.log") == ["a", "b", "c", "d"])
    }

    @Test func copytruncateRestartsAtZero() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/app.log", "line1\nline2\nline3\n")
        let state = try await h.start()
        await h.drain(state)
        try h.dir.copyTruncate("logs/app.log", to: "logs/app.log.1")
        try h.dir.append("logs/app.log", "after\n")
        await h.drain(state)
        #expect(try h.lines("logs/app.log") == ["line1", "line2", "line3", "after"])
        // Truncated while stopped: the file is now shorter than the saved offset.
        try h.dir.copyTruncate("logs/app.log", to: "logs/app.log.2")
        try h.dir.append("logs/app.log", "x\n")
        await h.drain(try await h.start())
        #expect(try h.lines("logs/app.log") == ["line1", "line2", "line3", "after", "x"])
    }

    @Test func longLinesAndInvalidUTF8ReachTheStore() async throws {
        let h = try TailHarness()
        let long = String(repeating: "z", count: 300_000)
        try h.dir.append("logs/a.log", Array("ok\n\(long)\n".utf8) + [0xFF, 0xC3, 0x28, 0x0A] + Array("end\r\n".utf8))
        await h.drain(try await h.start())
        let m = try LabelMatcher(name: "filename", type: .equal, value: h.dir.url("logs/a.log"))
        let entries = try h.store.select(LogSelect(matchers: [m], from: 0, through: Int64.max, direction: .forward, limit: 0))
            .flatMap(\.entries)
        #expect(entries.count == 4)
        #expect(entries[1].line.count == LineSplitter.maxLineBytes)
        #expect(entries[1].line.suffix(LineSplitter.truncationMarker.count).elementsEqual(LineSplitter.truncationMarker))
        #expect(entries[2].line == [0xFF, 0xC3, 0x28])
        #expect(entries[3].line == Array("end".utf8))
    }

    @Test func pipelineLabelsSplitStreams() async throws {
        let h = try TailHarness(pipeline: [.regex(RegexStageConfig(expression: "level=(?P<level>\\w+)")), .labels(["level": ""])])
        try h.dir.append("logs/a.log", "level=info a\nlevel=error b\nlevel=info c\nno level\n")
        await h.drain(try await h.start())
        let streams = try h.allEntries()
        let byLevel = Dictionary(uniqueKeysWithValues: streams.map {
            ($0.stream.labels["level"] ?? "", $0.entries.map { String(decoding: $0.line, as: UTF8.self) })
        })
        #expect(byLevel["info"] == ["level=info a", "level=info c"])
        #expect(byLevel["error"] == ["level=error b"])
        #expect(byLevel[""] == ["no level"])
    }

    @Test func selfMetricsCountLinesAndDrops() async throws {
        let h = try TailHarness(pipeline: [.drop(DropStageConfig(expression: "debug", dropCounterReason: "debug_noise"))])
        try h.dir.append("logs/a.log", "info 1\ndebug 2\ninfo 3\n")
        await h.drain(try await h.start())
        func value(_ name: String, _ labels: [Label] = []) -> Double? {
            h.registry.gather().first { $0.name == name }?.samples.first { $0.labels == labels }?.value
        }
        #expect(value("kansoku_ingest_lines_total") == 3)
        #expect(value("kansoku_ingest_dropped_lines_total", [Label(name: "reason", value: "debug_noise")]) == 1)
        #expect(value("kansoku_ingest_files") == 1)
        #expect(try h.lines("logs/a.log") == ["info 1", "info 3"])
    }

    @Test(.enabled(if: geteuid() != 0, "needs a non-root user (root reads any file)"))
    func unreadableFileIsReportedAndRetried() async throws {
        let h = try TailHarness()
        try h.dir.append("logs/a.log", "secret\n")
        chmod(h.dir.url("logs/a.log"), 0)
        let state = try await h.start()
        await h.drain(state)
        #expect(try h.lines("logs/a.log") == [])
        chmod(h.dir.url("logs/a.log"), 0o644)
        state.discover()
        await h.drain(state)
        #expect(try h.lines("logs/a.log") == ["secret"])
    }

    @Test func runStopsOnCancellationWithPositionsSaved() async throws {
        let h = try TailHarness()
        h.settings.pollInterval = 5_000_000
        try h.dir.append("logs/a.log", "r1\nr2\n")
        let service = try h.service()
        let task = Task { await service.run() }
        for _ in 0..<2000 where try h.lines("logs/a.log").count < 2 {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        task.cancel()
        await task.value
        #expect(try h.lines("logs/a.log") == ["r1", "r2"])
        let saved = try PositionsFile(path: h.dir.url("data/positions.yaml")).load()
        #expect(saved.count == 1)
        #expect(saved.first?.offset == 6)
        #expect(saved.first?.pending == nil)
    }

    @Test func excludedFilesAreNotTailed() async throws {
        let h = try TailHarness()
        h.config.targets![0].exclude = [h.dir.url("logs/skip*.log")]
        try h.dir.append("logs/a.log", "a\n")
        try h.dir.append("logs/skip-me.log", "s\n")
        await h.drain(try await h.start())
        #expect(try h.lines("logs/a.log") == ["a"])
        #expect(try h.lines("logs/skip-me.log") == [])
    }
}
