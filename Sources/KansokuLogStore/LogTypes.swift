public import KansokuCore

/// One log line of a stream: when it happened, its raw bytes, and optional structured metadata.
public struct LogEntry: Sendable, Hashable {
    /// Unix time in nanoseconds.
    public var timestamp: Int64
    /// The line as received: raw bytes, possibly invalid UTF-8, without a trailing newline.
    public var line: [UInt8]
    /// Structured metadata (not indexed, stored with the entry); usually empty.
    public var metadata: Labels

    public init(timestamp: Int64, line: [UInt8], metadata: Labels = Labels()) {
        self.timestamp = timestamp
        self.line = line
        self.metadata = metadata
    }

    public init(timestamp: Int64, line: String, metadata: Labels = Labels()) {
        self.init(timestamp: timestamp, line: Array(line.utf8), metadata: metadata)
    }
}

/// One push for one stream: a tenant, the stream's labels and its new entries.
public struct StreamBatch: Sendable {
    /// The tenant; "fake" when tenancy is off, as Loki does.
    public var tenant: String
    public var labels: Labels
    public var entries: [LogEntry]

    public init(tenant: String = LogStore.defaultTenant, labels: Labels, entries: [LogEntry]) {
        self.tenant = tenant
        self.labels = labels
        self.entries = entries
    }
}

/// What `append` did: how many entries are now durable, and which were refused and why.
public struct AppendResult: Sendable {
    public var accepted: Int
    public var rejected: [RejectedEntry]

    public init(accepted: Int = 0, rejected: [RejectedEntry] = []) {
        self.accepted = accepted
        self.rejected = rejected
    }
}

/// An entry `append` refused (for example too old for its stream's out-of-order window).
public struct RejectedEntry: Sendable {
    public var labels: Labels
    public var timestamp: Int64
    public var reason: LogStoreError

    public init(labels: Labels, timestamp: Int64, reason: LogStoreError) {
        self.labels = labels
        self.timestamp = timestamp
        self.reason = reason
    }
}

/// What is known of a block, or of a whole stored chunk, without reading it: exact entry
/// count, line bytes and time span, and whether no entry has structured metadata.
public struct BlockFacts: Sendable, Hashable {
    public var minTime: Int64
    public var maxTime: Int64
    public var entryCount: Int
    public var rawSize: Int
    public var withoutMetadata: Bool

    public init(minTime: Int64, maxTime: Int64, entryCount: Int, rawSize: Int, withoutMetadata: Bool) {
        self.minTime = minTime
        self.maxTime = maxTime
        self.entryCount = entryCount
        self.rawSize = rawSize
        self.withoutMetadata = withoutMetadata
    }
}

/// A stream known to the store: its id (stable 64-bit hash, unique within the store) and labels.
public struct StreamInfo: Sendable, Hashable {
    public var id: UInt64
    public var tenant: String
    public var labels: Labels

    public init(id: UInt64, tenant: String, labels: Labels) {
        self.id = id
        self.tenant = tenant
        self.labels = labels
    }
}

/// The order in which entries are returned: oldest first or newest first.
public enum Direction: String, Sendable, Hashable {
    case forward
    case backward
}

/// A literal line filter: `|= "text"` (or `!= "text"` when negated).
public struct LineFilter: Sendable, Hashable {
    public var literal: [UInt8]
    public var negated: Bool
    public var caseInsensitive: Bool

    public init(literal: [UInt8], negated: Bool = false, caseInsensitive: Bool = false) {
        self.literal = literal
        self.negated = negated
        self.caseInsensitive = caseInsensitive
    }

    public init(_ literal: String, negated: Bool = false, caseInsensitive: Bool = false) {
        self.init(literal: Array(literal.utf8), negated: negated, caseInsensitive: caseInsensitive)
    }
}

/// A simple log query: streams by matchers, a time range `[from, through)`, an order, a limit
/// and literal line filters (all must hold).
public struct LogSelect: Sendable {
    public var tenant: String
    public var matchers: [LabelMatcher]
    /// Inclusive start, unix ns.
    public var from: Int64
    /// Exclusive end, unix ns (as Loki's query_range `end`).
    public var through: Int64
    public var direction: Direction
    /// At most this many entries over all streams; 0 means no limit.
    public var limit: Int
    public var lineFilters: [LineFilter]

    public init(tenant: String = LogStore.defaultTenant, matchers: [LabelMatcher], from: Int64, through: Int64,
                direction: Direction = .backward, limit: Int = 100, lineFilters: [LineFilter] = []) {
        self.tenant = tenant
        self.matchers = matchers
        self.from = from
        self.through = through
        self.direction = direction
        self.limit = limit
        self.lineFilters = lineFilters
    }
}

/// The entries of one stream that a `select` returned, in the requested direction.
public struct StreamEntries: Sendable {
    public var stream: StreamInfo
    public var entries: [LogEntry]

    public init(stream: StreamInfo, entries: [LogEntry]) {
        self.stream = stream
        self.entries = entries
    }
}

/// Many entries of one stream packed in one buffer: the allocation-free way to append, e.g.
/// straight from a file tailer's read buffer. Line i is `bytes[lineStarts[i]..<lineEnds[i]]`.
public struct PackedBatch: Sendable {
    public var tenant: String
    public var labels: Labels
    public var timestamps: [Int64]
    public var bytes: [UInt8]
    public var lineStarts: [Int]
    public var lineEnds: [Int]
    /// Structured metadata per entry, or empty when no entry has any.
    public var metadata: [Labels]

    public init(tenant: String = LogStore.defaultTenant, labels: Labels, timestamps: [Int64], bytes: [UInt8],
                lineStarts: [Int], lineEnds: [Int], metadata: [Labels] = []) {
        self.tenant = tenant
        self.labels = labels
        self.timestamps = timestamps
        self.bytes = bytes
        self.lineStarts = lineStarts
        self.lineEnds = lineEnds
        self.metadata = metadata
    }

    /// Packs the entries of a batch (one copy of each line).
    public init(_ batch: StreamBatch) {
        tenant = batch.tenant
        labels = batch.labels
        timestamps = []
        timestamps.reserveCapacity(batch.entries.count)
        bytes = []
        bytes.reserveCapacity(batch.entries.reduce(0) { $0 + $1.line.count })
        lineStarts = []
        lineStarts.reserveCapacity(batch.entries.count)
        lineEnds = []
        lineEnds.reserveCapacity(batch.entries.count)
        metadata = []
        let anyMetadata = batch.entries.contains { !$0.metadata.isEmpty }
        for e in batch.entries {
            timestamps.append(e.timestamp)
            lineStarts.append(bytes.count)
            bytes.append(contentsOf: e.line)
            lineEnds.append(bytes.count)
            if anyMetadata { metadata.append(e.metadata) }
        }
    }

    public var count: Int { timestamps.count }

    /// Entry i's structured metadata (empty when none).
    public func metadata(_ i: Int) -> Labels { metadata.isEmpty ? Labels() : metadata[i] }

    /// The entries at `indices` only (used when some entries are rejected).
    func keeping(_ indices: [Int]) -> PackedBatch {
        var out = PackedBatch(tenant: tenant, labels: labels, timestamps: [], bytes: [], lineStarts: [], lineEnds: [])
        for i in indices {
            out.timestamps.append(timestamps[i])
            out.lineStarts.append(out.bytes.count)
            out.bytes.append(contentsOf: bytes[lineStarts[i]..<lineEnds[i]])
            out.lineEnds.append(out.bytes.count)
            if !metadata.isEmpty { out.metadata.append(metadata[i]) }
        }
        return out
    }
}

/// A submitted append: its result, valid once `LogStore.waitDurable` returns it.
public struct AppendTicket: Sendable {
    public let result: AppendResult
    let sequence: UInt64?
}
