public import KansokuCore
public import Logging

/// A Loki-style log store: streams (tenant + labels), a write-ahead log with group commit,
/// per-stream heads cut into zstd blocks with token filters, chunks in append-only segment
/// files, and a per-period label index. Safe to use from many tasks at once.
public final class LogStore: Sendable {
    /// The tenant used when tenancy is off (Loki's name for it).
    public static let defaultTenant = "fake"

    public let config: LogStoreConfig
    let logger: Logger

    init(config: LogStoreConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Opens (or creates) the store in `config.directory`: reopens the index and replays the WAL.
    public static func open(_ config: LogStoreConfig, logger: Logger) throws(LogStoreError) -> LogStore {
        LogStore(config: config, logger: logger)
    }

    /// Appends entries. Returns only when the accepted entries are in the fsynced WAL
    /// (acknowledged means durable).
    public func append(_ batches: [StreamBatch]) async throws(LogStoreError) -> AppendResult {
        throw .closed
    }

    /// Cuts every head, writes every chunk, persists the index and syncs. The store is unusable after.
    public func close() async throws(LogStoreError) {}

    /// Streams of `tenant` that satisfy all matchers and have data in `[from, through]`.
    public func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] { [] }

    /// The blocks of a stream overlapping `[from, through]`: stored blocks, blocks in memory and a
    /// snapshot of the head, ordered by time.
    public func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [BlockRef] { [] }

    /// Whether the block may contain `literal` (token filter check); true when unsure.
    public func mayContain(_ block: BlockRef, literal: [UInt8], caseInsensitive: Bool) -> Bool { true }

    /// Decodes a block, verifying its CRC32C.
    public func readBlock(_ block: BlockRef) throws(LogStoreError) -> DecodedBlock { DecodedBlock() }

    public func labelNames(tenant: String, from: Int64, through: Int64) -> [String] { [] }

    public func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] { [] }

    /// Entries of the streams matching `query`, filtered and ordered, up to its limit.
    public func select(_ query: LogSelect) throws(LogStoreError) -> [StreamEntries] { [] }

    /// Deletes every period that ended before `now - retention`.
    public func applyRetention(now: Int64) throws(LogStoreError) {}
}
