import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

/// A disk that fills up or fails under the WAL: a refused append is never stored, an
/// acknowledged one always is, and the store takes appends again once the fault is gone.
@Suite struct WALFaultTests {
    static func batch(_ app: String, _ range: Range<Int>) -> StreamBatch {
        StreamBatch(labels: labels(["app": app]), entries: range.map { LogEntry(timestamp: baseTime + Int64($0), line: "line \($0) of \(app)") })
    }

    static func lines(_ store: LogStore, _ app: String) throws -> [String] {
        try readAll(store, [eq("app", app)]).first?.entries.map { String(decoding: $0.line, as: UTF8.self) } ?? []
    }

    @Test(arguments: [(ENOSPC, "write"), (EIO, "write"), (EIO, "fsync"), (ENOSPC, "fsync")])
    func refusedAppendIsNeverStoredAndTheStoreRecovers(errno code: Int32, operation: String) async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let faults = DiskFaults()
        var config = LogStoreConfig(directory: dir)
        config.walFaults = faults
        do {
            let store = try LogStore.open(config, logger: testLogger)
            #expect(try await store.append([Self.batch("a", 0..<10)]).accepted == 10)
            if operation == "write" { faults.failWrites(errno: code) } else { faults.failSyncs(errno: code) }
            var refused: Result<AppendResult, LogStoreError>
            do throws(LogStoreError) {
                refused = .success(try await store.append([Self.batch("a", 10..<20)]))
            } catch {
                refused = .failure(error)
            }
            switch refused {
            case .failure(.io(let failure)):
                #expect(failure.errno == code)
                #expect(failure.operation == operation)
            default:
                Issue.record("expected the WAL's I/O error, got \(refused)")
            }
            // Queries keep answering while the disk is full, with only what was acknowledged.
            #expect(try Self.lines(store, "a") == (0..<10).map { "line \($0) of a" })
            faults.failWrites(errno: nil)
            faults.failSyncs(errno: nil)
            // Recovered without a restart; the client's retry is stored once.
            #expect(try await store.append([Self.batch("a", 20..<30)]).accepted == 10)
            #expect(try await store.append([Self.batch("a", 10..<20)]).accepted == 10)
            #expect(try Self.lines(store, "a") == (0..<30).map { "line \($0) of a" })
            // Killed: no close.
        }
        let reopened = try LogStore.open(LogStoreConfig(directory: dir), logger: testLogger)
        #expect(try Self.lines(reopened, "a") == (0..<30).map { "line \($0) of a" })
        try await reopened.close()
    }

    @Test func aRetriedAcknowledgedPushIsStoredOnce() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(LogStoreConfig(directory: dir), logger: testLogger)
        _ = try await store.append([Self.batch("r", 0..<5)])
        _ = try await store.append([StreamBatch(labels: labels(["app": "r"]), entries: [LogEntry(timestamp: baseTime + 4, line: "line 4 of r")])])
        // Same time, other line: a distinct entry, kept.
        _ = try await store.append([StreamBatch(labels: labels(["app": "r"]), entries: [LogEntry(timestamp: baseTime + 4, line: "other")])])
        #expect(try Self.lines(store, "r") == (0..<5).map { "line \($0) of r" } + ["other"])
        try await store.close()
    }

    /// Many appenders while the disk fails on and off: every acknowledged line is stored
    /// exactly once, no refused line is, before and after a kill.
    @Test func concurrentAppendersUnderIntermittentFaults() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let faults = DiskFaults()
        var config = smallConfig(dir)
        config.walFaults = faults
        config.walSegmentSize = 16 << 10
        let store = try LogStore.open(config, logger: testLogger)
        let outcome = try await withThrowingTaskGroup(of: (acked: [Int], refused: [Int]).self) { group in
            for worker in 0..<6 {
                group.addTask {
                    var acked: [Int] = [], refused: [Int] = []
                    for i in 0..<60 {
                        let first = (worker * 60 + i) * 5
                        let b = StreamBatch(labels: labels(["app": "w\(worker % 3)"]),
                                            entries: (first..<first + 5).map { LogEntry(timestamp: baseTime + Int64($0), line: "entry \($0)") })
                        do {
                            _ = try await store.append([b])
                            acked += Array(first..<first + 5)
                        } catch {
                            refused += Array(first..<first + 5)
                        }
                    }
                    return (acked, refused)
                }
            }
            group.addTask {
                for round in 0..<40 {
                    faults.failWrites(errno: round % 3 == 0 ? ENOSPC : nil)
                    faults.failSyncs(errno: round % 5 == 1 ? EIO : nil)
                    try await Task.sleep(for: .milliseconds(2))
                }
                faults.failWrites(errno: nil)
                faults.failSyncs(errno: nil)
                return ([], [])
            }
            var all = (acked: [Int](), refused: [Int]())
            for try await r in group { all.acked += r.acked; all.refused += r.refused }
            return all
        }
        func stored(_ s: LogStore) throws -> [Int] {
            try readAll(s, [try LabelMatcher(name: "app", type: .regexMatch, value: "w.")]).flatMap { $0.entries }
                .map { Int(String(decoding: $0.line, as: UTF8.self).dropFirst(6))! }
        }
        let before = try stored(store)
        #expect(outcome.acked.count + outcome.refused.count == 6 * 60 * 5)
        #expect(!outcome.refused.isEmpty, "the faults refused nothing: the test did not test anything")
        #expect(before.sorted() == outcome.acked.sorted())
        print("WAL faults: \(6 * 60) appends attempted, \((outcome.acked.count) / 5) acknowledged, \(outcome.refused.count / 5) refused; "
              + "\(before.count) lines stored, \(before.count - Set(before).count) duplicated, \(Set(outcome.acked).subtracting(before).count) lost")
        let reopened = try LogStore.open(smallConfig(dir), logger: testLogger)
        let after = try stored(reopened)
        #expect(after.sorted() == outcome.acked.sorted())
        try await reopened.close()
    }
}
