import Foundation
import KansokuCore
import KansokuMetricStore
import KansokuScrape
import Logging

/// `kansoku metrics import`: OpenMetrics with timestamps written straight into blocks of a
/// stopped server's metric store.
public enum MetricsBackfill {
    public static func run(file: String, dataDirectory: String,
                           progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?) async throws -> String {
        let lock: DataDirectoryLock
        do { lock = try DataDirectoryLock(directory: dataDirectory) } catch {
            throw ClientError.unreachable(address: dataDirectory, reason: error.description)
        }
        var logger = Logger(label: "kansoku.import")
        logger.logLevel = .warning
        let store = try MetricStore.open(MetricStoreConfig(directory: dataDirectory + "/metrics"), logger: logger)
        do {
            let result = try await OpenMetricsImporter.importFile(file, into: store) { p in
                progress?(p.bytes, p.totalBytes)
            }
            try await store.close()
            withExtendedLifetime(lock) {}
            return "\(result)"
        } catch {
            try? await store.close()
            throw ClientError.server(status: 400, message: "\(error)")
        }
    }
}
