public import KansokuCore
public import KansokuLogStore

/// Borrowed view of a decoded block's entries, valid only inside `withEntries`.
public struct BlockEntries {
    public let timestamps: UnsafeBufferPointer<Int64>
    public let bytes: UnsafeRawBufferPointer
    /// `starts[i]..<starts[i+1]` is line i.
    public let starts: UnsafeBufferPointer<Int>
    /// Per-entry structured metadata, empty when the block has none.
    public let metadata: [Labels]

    public init(timestamps: UnsafeBufferPointer<Int64>, bytes: UnsafeRawBufferPointer, starts: UnsafeBufferPointer<Int>, metadata: [Labels]) {
        self.timestamps = timestamps
        self.bytes = bytes
        self.starts = starts
        self.metadata = metadata
    }

    public var count: Int { timestamps.count }

    /// Lends a block decoded into reused buffers to `body`, its error as a value (the
    /// decoders' closures do not throw).
    public static func lend<R>(_ b: BorrowedBlock, _ body: (BlockEntries) throws(LogQLError) -> R) -> Result<R, LogQLError> {
        do throws(LogQLError) {
            return .success(try body(BlockEntries(timestamps: b.timestamps, bytes: b.lines.bytes, starts: b.lines.starts, metadata: b.metadata)))
        } catch {
            return .failure(error)
        }
    }

    @inline(__always) public func line(_ i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[starts[i]..<starts[i + 1]])
    }
}

/// A block the engine may read: time bounds for pruning, a text pre-check, and its entries.
public protocol ReadableBlock: Sendable {
    var minTime: Int64 { get }
    var maxTime: Int64 { get }
    var entryCount: Int { get }
    var rawSize: Int { get }
    /// Whether the block may hold `literal` (false means it certainly does not).
    func mayContain(literal: [UInt8], caseInsensitive: Bool) -> Bool
    /// Decodes the block and lends its entries to `body`.
    func withEntries<R>(_ body: (BlockEntries) throws(LogQLError) -> R) throws(LogQLError) -> R
    /// True when reading needs decompression (for stats).
    var isCompressed: Bool { get }
    /// True when the block is known to hold no structured metadata (every entry's series is
    /// its stream's), so counts over it can come from `entryCount` and `rawSize`.
    var withoutMetadata: Bool { get }
}

extension ReadableBlock {
    public var facts: BlockFacts {
        BlockFacts(minTime: minTime, maxTime: maxTime, entryCount: entryCount, rawSize: rawSize, withoutMetadata: withoutMetadata)
    }

    public var withoutMetadata: Bool { false }
}

/// What the engine needs from storage: streams by matchers, their blocks by time.
public protocol LogReader: Sendable {
    func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo]
    /// Blocks of a stream overlapping `[from, through]`, oldest first.
    func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [any ReadableBlock]
    func labelNames(tenant: String, from: Int64, through: Int64) -> [String]
    func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String]
    /// Every stream `streams` returns with its `blocks`, streams in no particular order: one
    /// call for a query over many streams instead of one per stream.
    func streamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [(stream: StreamInfo, blocks: [any ReadableBlock])]
    /// `streamBlocks` handed to `visit` stream by stream, without a list of them. A reader
    /// that knows facts of whole stored chunks may first offer them to `answered` (as
    /// `LogStore.forEachStreamBlocks` does) and leave out the chunks it answers.
    func forEachStreamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                             answered: ((StreamInfo, BlockFacts) -> Bool)?, _ visit: (StreamInfo, StreamBlocks) -> Void)
    /// A reader holding what `query` will read, for readers whose data is elsewhere (a
    /// bucket, other processes): the engine's reads are synchronous, so such a reader fetches
    /// ahead, concurrently, what the query cannot skip. A local reader is ready as it is.
    func prepared(for query: LogQueryPlan) async throws(LogQLError) -> any LogReader
    /// What this reader could not reach while preparing (Loki's `warnings`): the result
    /// stands without it.
    var warnings: [String] { get }
}

/// A query as the engine is about to run it, so a reader can prepare for it.
public struct LogQueryPlan: Sendable {
    public enum Kind: Sendable {
        case range(step: Int64, interval: Int64?)
        case instant
    }

    public var query: String
    public var tenant: String
    public var start: Int64
    public var end: Int64
    public var kind: Kind
    public var direction: Direction
    public var limit: Int

    public init(query: String, tenant: String, start: Int64, end: Int64, kind: Kind, direction: Direction, limit: Int) {
        self.query = query
        self.tenant = tenant
        self.start = start
        self.end = end
        self.kind = kind
        self.direction = direction
        self.limit = limit
    }
}

/// One stream's blocks as a reader lends them to `forEachStreamBlocks`, oldest first.
public struct StreamBlocks: RandomAccessCollection, Sendable {
    enum Storage: Sendable {
        case list([any ReadableBlock])
        /// `refs[range]` of a store's buffer, each wrapped as it is asked for.
        case store(LogStore, [BlockRef], Range<Int>)
    }

    let storage: Storage

    public init(_ blocks: [any ReadableBlock]) { storage = .list(blocks) }
    init(store: LogStore, refs: [BlockRef], range: Range<Int>) { storage = .store(store, refs, range) }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .list(let l): return l.count
        case .store(_, _, let r): return r.count
        }
    }

    public subscript(i: Int) -> any ReadableBlock {
        switch storage {
        case .list(let l): return l[i]
        case .store(let store, let refs, let r): return StoreLogReader.Block(store: store, refs: refs, index: r.lowerBound + i)
        }
    }
}

extension LogReader {
    public func prepared(for query: LogQueryPlan) async throws(LogQLError) -> any LogReader { self }
    public var warnings: [String] { [] }

    public func forEachStreamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                                    answered: ((StreamInfo, BlockFacts) -> Bool)?, _ visit: (StreamInfo, StreamBlocks) -> Void) {
        for (s, blocks) in streamBlocks(tenant: tenant, matchers: matchers, from: from, through: through) {
            visit(s, StreamBlocks(blocks))
        }
    }

    public func streamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [(stream: StreamInfo, blocks: [any ReadableBlock])] {
        streams(tenant: tenant, matchers: matchers, from: from, through: through).map { s in
            (s, blocks(tenant: tenant, stream: s.id, from: from, through: through))
        }
    }
}

/// The engine's view of a `LogStore`.
public struct StoreLogReader: LogReader {
    public let store: LogStore

    public init(_ store: LogStore) { self.store = store }

    /// One of a stream's blocks: the stream's refs and an index into them, three words, so
    /// that as `any ReadableBlock` it needs no box of its own (a query over 100,000 streams
    /// would allocate and free one per block).
    struct Block: ReadableBlock {
        let store: LogStore
        let refs: [BlockRef]
        let index: Int
        var minTime: Int64 { refs[index].minTime }
        var maxTime: Int64 { refs[index].maxTime }
        var entryCount: Int { refs[index].entryCount }
        var rawSize: Int { refs[index].rawSize }
        var isCompressed: Bool { !refs[index].isHead }
        var withoutMetadata: Bool { refs[index].withoutMetadata }

        static func all(_ store: LogStore, _ refs: [BlockRef]) -> [any ReadableBlock] {
            refs.indices.map { Block(store: store, refs: refs, index: $0) }
        }

        func mayContain(literal: [UInt8], caseInsensitive: Bool) -> Bool {
            store.mayContain(refs[index], literal: literal, caseInsensitive: caseInsensitive)
        }

        func withEntries<R>(_ body: (BlockEntries) throws(LogQLError) -> R) throws(LogQLError) -> R {
            let result: Result<R, LogQLError>
            do throws(LogStoreError) {
                result = try store.withBlock(refs[index]) { BlockEntries.lend($0, body) }
            } catch {
                throw .execution("reading block \(refs[index].location): \(error)")
            }
            return try result.get()
        }
    }

    public func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        store.streams(tenant: tenant, matchers: matchers, from: from, through: through)
    }

    public func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [any ReadableBlock] {
        Block.all(store, store.blocks(tenant: tenant, stream: stream, from: from, through: through))
    }

    public func streamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [(stream: StreamInfo, blocks: [any ReadableBlock])] {
        store.streamBlocks(tenant: tenant, matchers: matchers, from: from, through: through) { s, refs in
            (s, Block.all(store, refs))
        }
    }

    public func forEachStreamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                                    answered: ((StreamInfo, BlockFacts) -> Bool)?, _ visit: (StreamInfo, StreamBlocks) -> Void) {
        store.forEachStreamBlocks(tenant: tenant, matchers: matchers, from: from, through: through, answered: answered) { s, refs, range in
            visit(s, StreamBlocks(store: store, refs: refs, range: range))
        }
    }

    public func labelNames(tenant: String, from: Int64, through: Int64) -> [String] {
        store.labelNames(tenant: tenant, from: from, through: through)
    }

    public func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] {
        store.labelValues(tenant: tenant, name: name, matchers: matchers, from: from, through: through)
    }
}

/// An in-memory reader (tests, the conformance runner, small embedded uses). Streams are
/// split into blocks of `blockEntries` entries.
public final class MemoryLogReader: LogReader {
    struct Stream {
        var info: StreamInfo
        var entries: [LogEntry]
    }

    struct Block: ReadableBlock {
        let timestamps: [Int64]
        let starts: [Int]
        let bytes: [UInt8]
        let metadata: [Labels]
        var minTime: Int64 { timestamps.first ?? 0 }
        var maxTime: Int64 { timestamps.last ?? 0 }
        var entryCount: Int { timestamps.count }
        var rawSize: Int { bytes.count }
        var isCompressed: Bool { false }
        var withoutMetadata: Bool { metadata.isEmpty }
        func mayContain(literal: [UInt8], caseInsensitive: Bool) -> Bool { true }
        func withEntries<R>(_ body: (BlockEntries) throws(LogQLError) -> R) throws(LogQLError) -> R {
            let r: Result<R, LogQLError> = timestamps.withUnsafeBufferPointer { ts in
                bytes.withUnsafeBytes { b in
                    starts.withUnsafeBufferPointer { st in
                        do { return .success(try body(BlockEntries(timestamps: ts, bytes: b, starts: st, metadata: metadata))) }
                        catch let e as LogQLError { return .failure(e) }
                        catch { return .failure(.execution("\(error)")) }
                    }
                }
            }
            return try r.get()
        }
    }

    let streamsByTenant: [String: [UInt64: (StreamInfo, [Block])]]

    /// Builds the reader from batches (entries are sorted by time per stream).
    public init(_ batches: [StreamBatch], blockEntries: Int = 1024) {
        var grouped: [String: [Labels: [LogEntry]]] = [:]
        for b in batches { grouped[b.tenant, default: [:]][b.labels, default: []].append(contentsOf: b.entries) }
        var out: [String: [UInt64: (StreamInfo, [Block])]] = [:]
        for (tenant, streams) in grouped {
            var byID: [UInt64: (StreamInfo, [Block])] = [:]
            for (labels, entries) in streams {
                var id = labels.stableHash
                while byID[id] != nil { id &+= 1 }
                let sorted = entries.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
                var blocks: [Block] = []
                var k = 0
                while k < sorted.count {
                    let part = sorted[k..<min(k + blockEntries, sorted.count)]
                    var starts = [0], bytes: [UInt8] = []
                    for e in part { bytes.append(contentsOf: e.line); starts.append(bytes.count) }
                    let md = part.contains { !$0.metadata.isEmpty } ? part.map(\.metadata) : []
                    blocks.append(Block(timestamps: part.map(\.timestamp), starts: starts, bytes: bytes, metadata: md))
                    k += blockEntries
                }
                byID[id] = (StreamInfo(id: id, tenant: tenant, labels: labels), blocks)
            }
            out[tenant] = byID
        }
        streamsByTenant = out
    }

    public func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        (streamsByTenant[tenant] ?? [:]).values.filter { s in
            matchers.matches(s.0.labels) && s.1.contains { $0.maxTime >= from && $0.minTime <= through }
        }.map(\.0).sorted { $0.labels.description < $1.labels.description }
    }

    public func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [any ReadableBlock] {
        (streamsByTenant[tenant]?[stream]?.1 ?? []).filter { $0.maxTime >= from && $0.minTime <= through }
    }

    public func labelNames(tenant: String, from: Int64, through: Int64) -> [String] {
        var names = Set<String>()
        for (info, _) in (streamsByTenant[tenant] ?? [:]).values { for l in info.labels { names.insert(l.name) } }
        return names.sorted()
    }

    public func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] {
        var values = Set<String>()
        for (info, _) in (streamsByTenant[tenant] ?? [:]).values where matchers.matches(info.labels) {
            if let v = info.labels[name] { values.insert(v) }
        }
        return values.sorted()
    }
}
