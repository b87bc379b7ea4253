import Foundation
import KansokuMetricStore
import KansokuTestSupport

/// A real metric store in a fresh temporary directory.
struct TemporaryStore {
    let store: MetricStore
    let directory: String

    static func open() throws -> TemporaryStore {
        let dir = ScratchDirectory.path("kansoku-scrape")
        let store = try MetricStore.open(MetricStoreConfig(directory: dir, fsync: .never))
        return TemporaryStore(store: store, directory: dir)
    }
}
