public import KansokuCore

/// When the write-ahead log is fsynced.
public enum FsyncMode: String, Sendable, Hashable {
    /// Group commit: appends that arrive together share one fsync; each returns after it.
    case batch
    /// One fsync per append call (no sharing); the safest and slowest.
    case always
    /// No fsync: acknowledged once written to the OS (survives a process crash, not a power loss).
    case never
}

/// Settings of a `LogStore`; every field has a default.
public struct LogStoreConfig: Sendable {
    /// Root folder of the store (WAL, segments, index).
    public var directory: String
    /// How long data is kept, in ns; 0 keeps everything. Whole periods are deleted.
    public var retention: Int64
    public var fsync: FsyncMode
    /// Uncompressed size at which a stream's head is cut into a block.
    public var blockSize: Int
    /// Compressed size at which a chunk is closed and written to a segment file.
    public var chunkTargetSize: Int
    /// A chunk older than this (since its first entry arrived) is closed and written.
    public var maxChunkAge: Int64
    /// Entries older than the stream's newest timestamp minus this window are rejected.
    public var outOfOrderWindow: Int64
    /// Length of an index period (24h by default); retention deletes whole periods.
    public var periodLength: Int64
    /// Size at which the WAL moves on to a new segment file.
    public var walSegmentSize: Int
    /// When the WAL on disk outgrows this, the streams holding its oldest segments have their
    /// chunks written early, so it shrinks to half of it (0: only chunk size and age flush).
    public var walCheckpointBytes: Int
    /// Size at which chunks go to a new segment file.
    public var segmentFileSize: Int
    /// zstd compression level of blocks.
    public var compressionLevel: Int32
    /// Largest accepted line, in bytes (Loki's default max line size is 256 KiB; we allow more).
    public var maxLineSize: Int
    /// Fails WAL writes or fsyncs on demand (fault-injection tests only).
    public var walFaults: DiskFaults?

    public init(directory: String,
                retention: Int64 = 0,
                fsync: FsyncMode = .batch,
                blockSize: Int = 256 * 1024,
                chunkTargetSize: Int = 1_572_864,
                maxChunkAge: Int64 = 2 * 3600 * 1_000_000_000,
                outOfOrderWindow: Int64 = 3600 * 1_000_000_000,
                periodLength: Int64 = 24 * 3600 * 1_000_000_000,
                walSegmentSize: Int = 8 * 1024 * 1024,
                walCheckpointBytes: Int = 48 * 1024 * 1024,
                segmentFileSize: Int = 512 * 1024 * 1024,
                compressionLevel: Int32 = 3,
                maxLineSize: Int = 16 * 1024 * 1024) {
        self.directory = directory
        self.retention = retention
        self.fsync = fsync
        self.blockSize = blockSize
        self.chunkTargetSize = chunkTargetSize
        self.maxChunkAge = maxChunkAge
        self.outOfOrderWindow = outOfOrderWindow
        self.periodLength = periodLength
        self.walSegmentSize = walSegmentSize
        self.walCheckpointBytes = walCheckpointBytes
        self.segmentFileSize = segmentFileSize
        self.compressionLevel = compressionLevel
        self.maxLineSize = maxLineSize
    }
}
