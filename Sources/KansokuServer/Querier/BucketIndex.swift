import KansokuCore
import KansokuLogStore
import KansokuObjectStore
import Logging
import Synchronization

/// What a querier knows of the bucket: every ingester incarnation's period indexes and the
/// segment objects they point into.
struct BucketSnapshot: Sendable {
    /// One ingester incarnation's objects, under `prefix` (`logs/<ingester>/<incarnation>/`).
    struct Source: Sendable {
        let prefix: String
        let indexes: [StoredPeriodIndex]
        /// Segment objects, by path relative to the prefix (as the index names them), with sizes.
        let segments: [String: Int]

        /// Whether the bucket holds all of `chunk` (the ingester may have indexed a chunk in a
        /// segment it has not shipped yet).
        func holds(_ chunk: StoredChunkRef) -> Bool {
            guard let size = segments[chunk.file] else { return false }
            return chunk.offset + Int64(chunk.length) <= Int64(size)
        }
    }

    var sources: [Source] = []
    /// When the listing these come from was taken (unix ns); 0 before the first.
    var listedAt: Int64 = 0
    /// Why the last refresh failed, when it did: the snapshot is then older than it should be.
    var refreshError: String?
}

/// Lists the bucket's log objects and keeps the period indexes in memory, fetching an index
/// again only when its size or its period's set of segments changed (an index is rewritten
/// whenever chunks are added, and chunks reach the bucket in new segment objects).
final class BucketIndex: Sendable {
    let store: any ObjectStore
    let logger: Logger
    static let root = "logs/"
    private let snapshot = Mutex(BucketSnapshot())
    /// Bytes of index objects fetched so far.
    let indexBytesFetched = Atomic<Int>(0)
    /// Index key → the size and segments of its period it was fetched with, and the index.
    private let fetched = Mutex<[String: (size: Int, segments: Set<String>, index: StoredPeriodIndex)]>([:])

    init(store: any ObjectStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The last snapshot, as it stands (empty before the first listing).
    var latest: BucketSnapshot { snapshot.withLock { $0 } }

    /// The last snapshot; the first call lists the bucket.
    func current() async -> BucketSnapshot {
        let s = snapshot.withLock { $0 }
        if s.listedAt == 0 && s.refreshError == nil { return await refresh() }
        return s
    }

    /// Lists the bucket and fetches the indexes that changed. On failure the previous
    /// snapshot stays, marked with the error.
    @discardableResult
    func refresh() async -> BucketSnapshot {
        let started = TimeParser.currentNanos()
        do {
            let objects = try await store.list(prefix: Self.root)
            // logs/<ingester>/<incarnation>/periods/<start>/<file>
            var bySource: [String: (indexes: [(key: String, period: String, size: Int)], segments: [String: Int])] = [:]
            for o in objects {
                let parts = o.key.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 6, parts[3] == "periods" else { continue }
                let prefix = parts[0...2].joined(separator: "/") + "/"
                let relative = parts[3...5].joined(separator: "/")
                if parts[5] == "index" {
                    bySource[prefix, default: ([], [:])].indexes.append((o.key, String(parts[4]), o.size))
                } else if parts[5].hasSuffix(".seg") {
                    bySource[prefix, default: ([], [:])].segments[relative] = o.size
                }
            }
            var sources: [BucketSnapshot.Source] = []
            for (prefix, found) in bySource.sorted(by: { $0.key < $1.key }) {
                var indexes: [StoredPeriodIndex] = []
                for entry in found.indexes {
                    let periodSegments = Set(found.segments.keys.filter { $0.hasPrefix("periods/\(entry.period)/") })
                    if let known = fetched.withLock({ $0[entry.key] }), known.size == entry.size, known.segments == periodSegments {
                        indexes.append(known.index)
                        continue
                    }
                    let bytes = try await store.get(entry.key)
                    indexBytesFetched.add(bytes.count, ordering: .relaxed)
                    let index = try StoredPeriodIndex(decoding: bytes, name: entry.key)
                    fetched.withLock { $0[entry.key] = (bytes.count, periodSegments, index) }
                    indexes.append(index)
                }
                sources.append(.init(prefix: prefix, indexes: indexes, segments: found.segments))
            }
            let live = Set(bySource.values.flatMap { $0.indexes.map(\.key) })
            fetched.withLock { f in for k in f.keys where !live.contains(k) { f[k] = nil } }
            let next = BucketSnapshot(sources: sources, listedAt: started, refreshError: nil)
            snapshot.withLock { $0 = next }
            return next
        } catch {
            logger.warning("listing the bucket's log indexes failed", metadata: ["error": "\(error)"])
            return snapshot.withLock { s in
                s.refreshError = "\(error)"
                return s
            }
        }
    }

    func run(interval: Duration) async throws {
        while !Task.isCancelled {
            await refresh()
            try await Task.sleep(for: interval)
        }
    }
}
