import Foundation
import KansokuCore
import Logging
@testable import KansokuLogStore

/// A fresh folder under the system temp dir, removed by the caller.
func makeTempDirectory(_ name: String = #function) -> String {
    let base = FileManager.default.temporaryDirectory.path
    let dir = base + "/kansoku-logstore-" + name.filter(\.isLetter) + "-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func removeDirectory(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

let testLogger = Logger(label: "logstore-tests")

func smallConfig(_ dir: String) -> LogStoreConfig {
    LogStoreConfig(directory: dir, blockSize: 4096, chunkTargetSize: 6000)
}

func labels(_ pairs: [String: String]) -> Labels { Labels(pairs) }

let second: Int64 = 1_000_000_000
let baseTime: Int64 = 1_704_067_200 * 1_000_000_000   // 2024-01-01T00:00:00Z

/// Every entry of the store for `selector` (no limit, forward).
func readAll(_ store: LogStore, _ matchers: [LabelMatcher], tenant: String = LogStore.defaultTenant) throws -> [StreamEntries] {
    try store.select(LogSelect(tenant: tenant, matchers: matchers, from: 0, through: Int64.max, direction: .forward, limit: 0))
}

func eq(_ name: String, _ value: String) -> LabelMatcher { try! LabelMatcher(name: name, type: .equal, value: value) }

/// Where two entry lists first differ (nil when equal), without printing megabytes of bytes.
func firstDifference(_ a: [LogEntry]?, _ b: [LogEntry]) -> String? {
    guard let a else { return "no entries" }
    for i in 0..<min(a.count, b.count) where a[i] != b[i] {
        return "entry \(i): got ts \(a[i].timestamp) \(a[i].line.count)B md \(a[i].metadata), want ts \(b[i].timestamp) \(b[i].line.count)B md \(b[i].metadata)"
    }
    return a.count == b.count ? nil : "got \(a.count) entries, want \(b.count)"
}
