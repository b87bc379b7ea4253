import Synchronization

/// One metric family's metadata as a scrape target declared it.
public struct TargetMetadata: Sendable, Hashable {
    public var family: String
    public var metadata: FamilyMetadata
}

/// The metric metadata each running target declared in its last successful scrape, readable
/// from any thread: what Prometheus's metadata watcher collects from its scrape caches for
/// remote write. A family declared by several targets is listed once per target, as there.
public final class ScrapeMetadataBoard: Sendable {
    private let state = Mutex<[String: [String: FamilyMetadata]]>([:])

    public init() {}

    /// Every target's families, ordered by target then family name.
    public func all() -> [TargetMetadata] {
        let snapshot = state.withLock { $0 }
        var out: [TargetMetadata] = []
        for key in snapshot.keys.sorted() {
            for (family, m) in snapshot[key]!.sorted(by: { $0.key < $1.key }) {
                out.append(TargetMetadata(family: family, metadata: m))
            }
        }
        return out
    }

    func publish(_ t: ScrapeTarget, _ metadata: [String: FamilyMetadata]) {
        state.withLock { $0[Self.key(t)] = metadata }
    }

    func remove(_ t: ScrapeTarget) { _ = state.withLock { $0.removeValue(forKey: Self.key(t)) } }

    private static func key(_ t: ScrapeTarget) -> String { t.job + "|" + t.url }
}
