public import KansokuCore

/// The head's in-memory append path without WAL or locks around batches: what the
/// append micro-benchmark measures (Prometheus's head appender with a cached series ref).
@_spi(Benchmarks) public final class InMemoryHead: Sendable {
    let head: Head

    public init(blockDuration: Int64 = 2 * MetricStoreConfig.hour) {
        head = Head(chunkRange: blockDuration)
    }

    /// The ref of `labels`, creating the series when new.
    public func ref(for labels: Labels) -> SeriesRef {
        SeriesRef(rawValue: head.writer.withLock { head.getOrCreate(labels, in: &$0).ref })
    }

    /// Appends by ref; false when rejected (out of order, duplicate, unknown ref).
    @inline(__always)
    public func append(_ ref: SeriesRef, _ t: Int64, _ v: Double) -> Bool {
        head.append(ref: ref.rawValue, t: t, v: v) == .appended
    }

    /// Appends a batch by ref, one stripe lock per run of refs sharing a stripe; returns
    /// how many samples were rejected.
    public func append(_ refs: UnsafeBufferPointer<UInt64>, _ ts: UnsafeBufferPointer<Int64>,
                       _ vs: UnsafeBufferPointer<Double>) -> Int {
        var rejected = 0
        head.append(refs: refs, ts: ts, vs: vs) { _, o in if o != .appended { rejected += 1 } }
        return rejected
    }

    /// Appends by label set (hash lookup first), as an append without a cached ref does.
    public func append(_ labels: Labels, _ t: Int64, _ v: Double) -> Bool {
        head.writer.withLock { w in
            let ref = head.getOrCreate(labels, in: &w).ref
            return head.append(ref: ref, t: t, v: v) == .appended
        }
    }

    public var seriesCount: Int { head.seriesCount }
    public var chunkCount: Int { head.chunkCount }
}
