import KansokuCore
@testable import KansokuTUI
import Synchronization

/// A data source answering from fixed tables, recording the queries it was asked.
final class FixedDataSource: DashboardDataSource {
    struct Answers: Sendable {
        var series: [SeriesData] = []
        var logs: [String: [LogLine]] = [:]
        var labelValues: [String: [String]] = [:]
        /// Queries answered with a server error (as a 400 would be).
        var rejected: [String: String] = [:]
    }

    let answers: Mutex<Answers>
    let asked = Mutex<[String]>([])

    init(_ answers: Answers) { self.answers = Mutex(answers) }

    func update(_ change: (inout Answers) -> Void) { answers.withLock { change(&$0) } }
    var queries: [String] { asked.withLock { $0 } }

    func record(_ q: String) throws {
        asked.withLock { $0.append(q) }
        if let message = answers.withLock({ $0.rejected[q] }) { throw DataSourceError(message: message) }
    }

    func instant(_ promql: String) async throws -> [SeriesData] {
        try record(promql)
        return answers.withLock { $0.series }
    }

    func range(_ query: String, logql: Bool, start: Int64, end: Int64, step: Int64) async throws -> [SeriesData] {
        try record(query)
        return answers.withLock { $0.series }
    }

    func logs(_ logql: String, start: Int64, end: Int64, limit: Int) async throws -> [LogLine] {
        try record(logql)
        return answers.withLock { $0.logs[logql] ?? [] }
    }

    func labelValues(_ name: String) async throws -> [String] { answers.withLock { $0.labelValues[name] ?? [] } }
    func labelNames() async throws -> [String] { answers.withLock { $0.labelValues.keys.sorted() } }
}
