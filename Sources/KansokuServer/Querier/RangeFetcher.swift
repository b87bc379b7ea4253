import KansokuObjectStore
import Synchronization

/// What a ranged GET was for: the bytes a query fetches are counted per kind, so it shows
/// where they go.
enum FetchKind: Int, CaseIterable, Sendable {
    /// A chunk's 12-byte footer (where its meta section is).
    case footer
    /// A chunk's meta section: every block's time bounds, sizes and token filter.
    case meta
    /// A block the query decodes.
    case block
    /// A chunk's first block, fetched only as the prefix a later block decodes against.
    case prefix

    var name: String {
        switch self {
        case .footer: "footer"
        case .meta: "meta"
        case .block: "block"
        case .prefix: "prefix"
        }
    }
}

/// Fetches byte ranges of bucket objects through the disk cache, many at once (bounded),
/// counting what came from the bucket.
final class RangeFetcher: Sendable {
    let store: any ObjectStore
    let cache: BlockCache
    let concurrency: Int
    let bucketBytes = Atomic<Int>(0)
    let bucketRequests = Atomic<Int>(0)
    let cacheHits = Atomic<Int>(0)
    /// Bytes from the bucket per `FetchKind` (by raw value).
    let bytesByKind = Mutex([Int](repeating: 0, count: FetchKind.allCases.count))

    init(store: any ObjectStore, cache: BlockCache, concurrency: Int) {
        self.store = store
        self.cache = cache
        self.concurrency = max(1, concurrency)
    }

    /// Every range it could get; for the others, why not (one line each, at most a few).
    func fetch(_ wanted: some Collection<RangeKey>, kind: FetchKind) async -> (bytes: [RangeKey: [UInt8]], failures: [String]) {
        await fetch(Dictionary(wanted.map { ($0, kind) }) { a, _ in a })
    }

    /// Every range it could get, each counted as its kind; for the others, why not.
    func fetch(_ wanted: [RangeKey: FetchKind]) async -> (bytes: [RangeKey: [UInt8]], failures: [String]) {
        var bytes: [RangeKey: [UInt8]] = [:]
        var missing: [RangeKey] = []
        for k in wanted.keys {
            if let b = cache.get(key: k.key, range: k.range) {
                bytes[k] = b
                cacheHits.add(1, ordering: .relaxed)
            } else {
                missing.append(k)
            }
        }
        var failures: [String] = []
        var failed = 0
        await withTaskGroup(of: (RangeKey, Result<[UInt8], ObjectStoreError>).self) { group in
            var next = 0
            func start() {
                let k = missing[next]
                next += 1
                group.addTask { [store] in
                    do throws(ObjectStoreError) {
                        return (k, .success(try await store.get(k.key, range: Int(k.range.lowerBound)..<Int(k.range.upperBound))))
                    } catch {
                        return (k, .failure(error))
                    }
                }
            }
            while next < min(concurrency, missing.count) { start() }
            while let (k, result) = await group.next() {
                switch result {
                case .success(let b):
                    bucketBytes.add(b.count, ordering: .relaxed)
                    bytesByKind.withLock { $0[(wanted[k] ?? .block).rawValue] += b.count }
                    bucketRequests.add(1, ordering: .relaxed)
                    cache.put(key: k.key, range: k.range, b)
                    bytes[k] = b
                case .failure(let e):
                    failed += 1
                    if failures.count < 3 { failures.append("\(e)") }
                }
                if next < missing.count { start() }
            }
        }
        if failed > failures.count { failures.append("and \(failed - failures.count) more ranges") }
        return (bytes, failures)
    }
}
