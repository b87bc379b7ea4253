import KansokuCore
import KansokuLogStore
import KansokuObjectStore
import Logging
import Synchronization

/// What a querier knows of one tenant's objects in the bucket: every ingester incarnation's
/// period indexes and the segment objects they point into.
struct BucketSnapshot: Sendable {
    /// One ingester incarnation's objects of the tenant, under `prefix`
    /// (`logs/<tenant>/<ingester>/<incarnation>/`).
    struct Source: Sendable {
        let prefix: String
        let indexes: [StoredPeriodIndex]
        /// Segment objects, by path relative to the prefix (as the index names them), with sizes.
        let segments: [String: Int]
        /// Segment filter indexes (`SegmentFilterIndex`), by relative path, with sizes.
        var filterIndexes: [String: Int] = [:]

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

/// Lists each tenant's log objects (only below the tenant's own prefix, `logs/<tenant>/`) and
/// keeps their period indexes in memory, fetching an index again only when its size or its
/// period's set of segments changed (an index is rewritten whenever chunks are added, and
/// chunks reach the bucket in new segment objects).
///
/// A tenant is listed first when it queries; from then on the refresh loop keeps it current.
final class BucketIndex: Sendable {
    let store: any ObjectStore
    let logger: Logger
    static let root = "logs/"
    private let snapshots = Mutex<[String: BucketSnapshot]>([:])
    /// Index key → the size and segments of its period it was fetched with, and the index.
    private let fetched = Mutex<[String: (size: Int, segments: Set<String>, index: StoredPeriodIndex)]>([:])
    /// Bytes of index objects fetched so far.
    let indexBytesFetched = Atomic<Int>(0)

    init(store: any ObjectStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The prefix every object of `tenant`'s lives under.
    static func prefix(tenant: String) -> String { root + tenant + "/" }

    /// `tenant`'s last snapshot, as it stands (empty before its first listing).
    func latest(tenant: String) -> BucketSnapshot { snapshots.withLock { $0[tenant] ?? BucketSnapshot() } }

    /// Every tenant's last snapshot.
    var all: [String: BucketSnapshot] { snapshots.withLock { $0 } }

    /// `tenant`'s last snapshot; its first call lists the tenant's prefix.
    func current(tenant: String) async -> BucketSnapshot {
        if let s = snapshots.withLock({ $0[tenant] }), s.listedAt != 0 || s.refreshError != nil { return s }
        return await refresh(tenant: tenant)
    }

    /// Lists `tenant`'s prefix and fetches the indexes that changed. On failure the previous
    /// snapshot stays, marked with the error.
    @discardableResult
    func refresh(tenant: String) async -> BucketSnapshot {
        let started = TimeParser.currentNanos()
        let root = Self.prefix(tenant: tenant)
        do {
            let objects = try await store.list(prefix: root)
            // logs/<tenant>/<ingester>/<incarnation>/periods/<start>/<file>
            var bySource: [String: (indexes: [(key: String, period: String, size: Int)], segments: [String: Int], filters: [String: Int])] = [:]
            for o in objects {
                let parts = o.key.split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 7, parts[1] == tenant, parts[4] == "periods" else { continue }
                let prefix = parts[0...3].joined(separator: "/") + "/"
                let relative = parts[4...6].joined(separator: "/")
                if parts[6] == "index" {
                    bySource[prefix, default: ([], [:], [:])].indexes.append((o.key, String(parts[5]), o.size))
                } else if parts[6].hasSuffix(".seg") {
                    bySource[prefix, default: ([], [:], [:])].segments[relative] = o.size
                } else if parts[6].hasSuffix(".flt") {
                    bySource[prefix, default: ([], [:], [:])].filters[relative] = o.size
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
                sources.append(.init(prefix: prefix, indexes: indexes, segments: found.segments, filterIndexes: found.filters))
            }
            let live = Set(bySource.values.flatMap { $0.indexes.map(\.key) })
            fetched.withLock { f in for k in f.keys where k.hasPrefix(root) && !live.contains(k) { f[k] = nil } }
            let next = BucketSnapshot(sources: sources, listedAt: started, refreshError: nil)
            snapshots.withLock { $0[tenant] = next }
            return next
        } catch {
            logger.warning("listing a tenant's log objects in the bucket failed", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            return snapshots.withLock { s in
                s[tenant, default: BucketSnapshot()].refreshError = "\(error)"
                return s[tenant]!
            }
        }
    }

    /// Keeps every tenant listed so far current.
    func run(interval: Duration) async throws {
        while !Task.isCancelled {
            for tenant in snapshots.withLock({ $0.keys.sorted() }) { await refresh(tenant: tenant) }
            try await Task.sleep(for: interval)
        }
    }
}
