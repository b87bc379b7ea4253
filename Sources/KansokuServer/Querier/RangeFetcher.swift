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
    /// Partitions of a chunk's token filters stored partitioned.
    case filter

    var name: String {
        switch self {
        case .footer: "footer"
        case .meta: "meta"
        case .block: "block"
        case .prefix: "prefix"
        case .filter: "filter"
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
        // The child tasks return plain values rather than a typed-throws Result: a release
        // build crashed destroying such a group's finished tasks (SIGILL in destroyTask).
        await withTaskGroup(of: (RangeKey, [UInt8]?, String?).self) { group in
            var queue = missing.makeIterator()
            for _ in 0..<min(concurrency, missing.count) {
                guard let k = queue.next() else { break }
                group.addTask { [store] in await Self.get(store, k) }
            }
            while let (k, fetched, error) = await group.next() {
                if let b = fetched {
                    bucketBytes.add(b.count, ordering: .relaxed)
                    bytesByKind.withLock { $0[(wanted[k] ?? .block).rawValue] += b.count }
                    bucketRequests.add(1, ordering: .relaxed)
                    cache.put(key: k.key, range: k.range, b)
                    bytes[k] = b
                } else {
                    failed += 1
                    if failures.count < 3, let error { failures.append(error) }
                }
                if let k = queue.next() { group.addTask { [store] in await Self.get(store, k) } }
            }
        }
        if failed > failures.count { failures.append("and \(failed - failures.count) more ranges") }
        return (bytes, failures)
    }

    /// One ranged GET: the bytes, or why not.
    private static func get(_ store: any ObjectStore, _ k: RangeKey) async -> (RangeKey, [UInt8]?, String?) {
        do {
            return (k, try await store.get(k.key, range: Int(k.range.lowerBound)..<Int(k.range.upperBound)), nil)
        } catch {
            return (k, nil, "\(error)")
        }
    }
}
