public import KansokuCore

/// Prometheus's staleness marker: a NaN with one fixed bit pattern, written when a series
/// disappears from a scrape or rule output. Stores and chunks keep it bit for bit.
public enum StaleNaN {
    public static let bits: UInt64 = 0x7ff0_0000_0000_0002
    public static var value: Double { Double(bitPattern: bits) }
    @inlinable public static func isStale(_ v: Double) -> Bool { v.bitPattern == bits }
}

/// One float sample: a millisecond timestamp and a value.
public struct Sample: Sendable, Hashable {
    public var t: Int64
    public var v: Double

    public init(t: Int64, v: Double) {
        self.t = t
        self.v = v
    }

    /// Compares values by bit pattern, so NaNs (and staleness markers) compare equal to themselves.
    public static func == (a: Sample, b: Sample) -> Bool { a.t == b.t && a.v.bitPattern == b.v.bitPattern }

    public func hash(into h: inout Hasher) {
        h.combine(t)
        h.combine(v.bitPattern)
    }
}

/// A series with its samples in a time range, oldest first.
public struct SeriesSamples: Sendable, Hashable {
    public var labels: Labels
    public var samples: [Sample]

    public init(labels: Labels, samples: [Sample]) {
        self.labels = labels
        self.samples = samples
    }
}

/// The identity of a series inside one store run (Prometheus's HeadSeriesRef): stable from
/// creation until the series is garbage-collected from the head; restored by WAL replay.
public struct SeriesRef: Hashable, Sendable, Comparable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (a: SeriesRef, b: SeriesRef) -> Bool { a.rawValue < b.rawValue }
}

/// When appended samples reach the disk platter.
public enum FsyncMode: String, Sendable, CaseIterable {
    /// Group commit: concurrent appends share one fsync; `append` returns after it (default).
    case batch
    /// No fsync on append (data reaches the OS only); for tests and throwaway stores.
    case never
}

/// How a block stores its chunks (FORMAT.md). Blocks of either format are read.
public enum SealedChunkFormat: Sendable {
    /// Prometheus's chunk segments of XOR chunks (1.76 bytes a sample in `kansoku-bench metrics`).
    case prometheusXOR
    /// Version 2 segments: decimal-delta chunks in zstd frames (0.66 bytes a sample there).
    case compressedFrames
}

/// Where and how a `MetricStore` keeps its data.
public struct MetricStoreConfig: Sendable {
    public static let hour: Int64 = 3_600_000

    /// Data directory; holds `wal/` and one directory per block.
    public var directory: String
    /// Blocks whose newest sample is older than the newest data minus this are deleted (ms).
    public var retention: Int64
    public var fsync: FsyncMode
    /// Time span of the head range persisted into one block (ms), Prometheus's 2 h.
    public var blockDuration: Int64
    /// Size at which a WAL segment file is closed and the next one started.
    public var walSegmentSize: Int
    /// Blocks are merged up to this span (ms); 0 derives it from retention as Prometheus does
    /// (10% of retention, at most 31 days).
    public var maxBlockDuration: Int64
    /// Fails WAL writes or fsyncs on demand (tests of full or failing disks); nil in real use.
    public var walFaults: DiskFaults? = nil
    /// How blocks written by compaction and backfill store their chunks; blocks cut from the
    /// head always hold Prometheus's XOR chunks.
    public var sealedChunkFormat: SealedChunkFormat = .compressedFrames

    public init(
        directory: String,
        retention: Int64 = 15 * 24 * MetricStoreConfig.hour,
        fsync: FsyncMode = .batch,
        blockDuration: Int64 = 2 * MetricStoreConfig.hour,
        walSegmentSize: Int = 128 << 20,
        maxBlockDuration: Int64 = 0
    ) {
        self.directory = directory
        self.retention = retention
        self.fsync = fsync
        self.blockDuration = blockDuration
        self.walSegmentSize = walSegmentSize
        self.maxBlockDuration = maxBlockDuration
    }

    /// The spans blocks are compacted into: block duration ×3, ×9, … up to the maximum.
    var compactionRanges: [Int64] {
        let limit = maxBlockDuration > 0 ? maxBlockDuration : min(retention / 10, 31 * 24 * MetricStoreConfig.hour)
        var out = [blockDuration]
        var r = blockDuration * 3
        while r <= limit {
            out.append(r)
            r *= 3
        }
        return out
    }
}

/// What one `append` call did with each sample.
public struct MetricAppendResult: Sendable, Hashable {
    /// Samples stored (and durable, when the call returned).
    public var appended: Int = 0
    /// Older than the newest sample of their series: rejected (Prometheus: "out of order sample").
    public var outOfOrder: Int = 0
    /// Same timestamp as the newest sample of their series but another value: rejected
    /// (Prometheus: "duplicate sample for timestamp"). An exact repeat counts as appended.
    public var duplicate: Int = 0
    /// Older than the head's lower bound (already persisted range): rejected ("out of bounds").
    public var outOfBounds: Int = 0

    public init() {}

    public var rejected: Int { outOfOrder + duplicate + outOfBounds }
}

/// Why a store operation failed.
public enum MetricStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed.
    case io(FileIOError)
    case corrupted(path: String, reason: String)
    case invalidConfig(String)
    case closed

    public var description: String {
        switch self {
        case .io(let failure): return failure.description
        case .corrupted(let path, let reason): return "corrupted \(path): \(reason)"
        case .invalidConfig(let s): return "invalid metric store config: \(s)"
        case .closed: return "metric store is closed"
        }
    }
}

/// Counters and gauges for `/metrics` (named after Prometheus's `prometheus_tsdb_*`).
public struct MetricStoreStats: Sendable, Hashable {
    public var headSeries: Int = 0
    public var headChunks: Int = 0
    public var headMinTime: Int64 = 0
    public var headMaxTime: Int64 = 0
    public var blocks: Int = 0
    public var blockBytes: Int64 = 0
    public var samplesAppended: UInt64 = 0
    public var outOfOrderSamples: UInt64 = 0
    public var duplicateSamples: UInt64 = 0
    public var outOfBoundsSamples: UInt64 = 0
    public var seriesCreated: UInt64 = 0
    public var seriesRemoved: UInt64 = 0
    public var headTruncations: UInt64 = 0
    public var compactions: UInt64 = 0
    public var blocksDeletedByRetention: UInt64 = 0
    public var checkpoints: UInt64 = 0
    public var walSegments: Int = 0
    public var walCorruptions: UInt64 = 0
    public var walFsyncs: UInt64 = 0
    /// WAL batches whose write or fsync failed: their appends were refused, nothing stored.
    public var walFailedBatches: UInt64 = 0
    /// Appends refused because their WAL batch failed.
    public var appendsRefused: UInt64 = 0
    /// Histogram of WAL fsync durations in seconds: cumulative counts per upper bound
    /// (`walFsyncBuckets[i]` counts fsyncs ≤ `walFsyncBucketBounds[i]`; the last bound is +Inf).
    public var walFsyncBucketBounds: [Double] = WALFsyncHistogram.bounds
    public var walFsyncBuckets: [UInt64] = Array(repeating: 0, count: WALFsyncHistogram.bounds.count)
    public var walFsyncSeconds: Double = 0

    public init() {}
}

/// Upper bounds (seconds) of the WAL fsync duration histogram.
public enum WALFsyncHistogram {
    public static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, .infinity]
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
