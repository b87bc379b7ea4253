import Foundation
public import KansokuCore
import KansokuLogQL
import KansokuLogStore
import Logging

/// Reads a stopped server's data directory in-process: what `--data-dir` does on the query
/// commands. The directory lock keeps it from opening stores a running server holds.
public enum LocalData {
    static func withStore<T>(_ directory: String, _ body: (LogStore) async throws -> T) async throws -> T {
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: directory) } catch { throw ClientError.unreachable(address: directory, reason: error.description) }
        let logs = directory + "/logs"
        guard FileManager.default.fileExists(atPath: logs) else {
            throw ClientError.unreachable(address: directory, reason: "no log data here (expected \(logs))")
        }
        var logger = Logger(label: "kansoku.local")
        logger.logLevel = .warning
        let store = try LogStore.open(LogStoreConfig(directory: logs, retention: 0, fsync: .batch), logger: logger)
        do {
            let result = try await body(store)
            try await store.close()
            withExtendedLifetime(lock) {}
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    public static func logQuery(directory: String, tenant: String, query: String, start: Int64, end: Int64, limit: Int,
                                forward: Bool, step: PromDuration?, instant: Bool) async throws -> QueryResultModel {
        try await withStore(directory) { store in
            let engine = LogQLEngine(store: store)
            let lim = limit == 0 ? Int.max : limit
            do {
                if instant {
                    return try await engine.instantQueryModel(query, tenant: tenant, time: end, direction: forward ? .forward : .backward, limit: lim).0
                }
                let range = max(end - start, 1)
                let stepNanos = step?.nanoseconds ?? max(1, (range / 1_000_000_000 + 249) / 250) * 1_000_000_000
                return try await engine.queryRangeModel(query, tenant: tenant, start: start, end: end, step: stepNanos, interval: nil,
                                                        direction: forward ? .forward : .backward, limit: lim).0
            } catch let e as LogQLError {
                throw ClientError.server(status: 400, message: e.description)
            }
        }
    }

    public static func labels(directory: String, tenant: String, name: String?, start: Int64, end: Int64) async throws -> [String] {
        try await withStore(directory) { store in
            if let name { return store.labelValues(tenant: tenant, name: name, matchers: [], from: start, through: end) }
            return store.labelNames(tenant: tenant, from: start, through: end)
        }
    }

    public static func series(directory: String, tenant: String, selector: String, start: Int64, end: Int64) async throws -> [Labels] {
        try await withStore(directory) { store in
            let matchers: [LabelMatcher]
            do { matchers = try LogQLParser.parseMatchers(selector) } catch { throw ClientError.server(status: 400, message: "\(error)") }
            return store.streams(tenant: tenant, matchers: matchers, from: start, through: end).map(\.labels)
        }
    }
}
