import Foundation
import KansokuMetricStore

/// A real metric store in a fresh temporary directory.
struct TemporaryStore {
    let store: MetricStore
    let directory: String

    static func open() throws -> TemporaryStore {
        let dir = NSTemporaryDirectory() + "kansoku-scrape-\(UUID().uuidString.prefix(8))"
        let store = try MetricStore.open(MetricStoreConfig(directory: dir, fsync: .never))
        return TemporaryStore(store: store, directory: dir)
    }
}
