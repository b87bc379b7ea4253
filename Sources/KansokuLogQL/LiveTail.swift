import KansokuCore
public import KansokuLogStore

/// One message of a live tail: new entries grouped by their labels (after the pipeline), and
/// the entries dropped because the reader fell behind (Loki's `dropped_entries`).
public struct TailFrame: Sendable {
    public var streams: [StreamResult]
    public var dropped: [DroppedEntry]

    public init(streams: [StreamResult], dropped: [DroppedEntry]) {
        self.streams = streams
        self.dropped = dropped
    }

    public var entryCount: Int { streams.reduce(0) { $0 + $1.entries.count } }
}

/// A live tail of a LogQL log query: first the newest `limit` entries since `start`, oldest
/// first, then every matching entry the store accepts, as soon as it is durable, in acceptance
/// order (late entries with older timestamps included), each exactly once. The server's
/// websocket and everything that follows logs use this one loop.
public struct LiveTail: Sendable {
    /// What to tail, Loki's `/tail` parameters.
    public struct Request: Sendable {
        public var query: String
        public var tenant: String
        /// Unix ns: where the first (historical) part begins.
        public var start: Int64
        /// Entries of the historical part; 0 skips it.
        public var limit: Int
        /// Holds entries back this long and sorts each stream's by time, so lines of slow
        /// writers that arrive a little late still come out in time order.
        public var delayFor: Duration
        /// Entries, and line bytes, buffered for a slow reader before new ones are dropped.
        public var bufferEntries: Int
        public var bufferBytes: Int
        /// Entries per frame at most.
        public var maxEntriesPerFrame: Int

        public init(query: String, tenant: String, start: Int64, limit: Int = 100, delayFor: Duration = .zero,
                    bufferEntries: Int = 100_000, bufferBytes: Int = 32 << 20, maxEntriesPerFrame: Int = 1000) {
            self.query = query
            self.tenant = tenant
            self.start = start
            self.limit = limit
            self.delayFor = delayFor
            self.bufferEntries = bufferEntries
            self.bufferBytes = bufferBytes
            self.maxEntriesPerFrame = maxEntriesPerFrame
        }
    }

    let store: LogStore
    let engine: LogQLEngine

    public init(store: LogStore, engine: LogQLEngine) {
        self.store = store
        self.engine = engine
    }

    /// The selector and pipeline of a tail query; metric queries cannot be tailed.
    public static func selector(_ query: String) throws(LogQLError) -> LogSelectorExpr {
        guard case .log(let selector) = try LogQLParser.parse(query) else {
            throw .execution("tailing needs a log query, not a metric query")
        }
        return selector
    }

    /// Runs until the task is cancelled, the store closes, or `send` throws.
    public func run(_ request: Request, send: (TailFrame) async throws -> Void) async throws {
        let selector = try Self.selector(request.query)
        let pipeline = try LogPipeline(selector)
        // Subscribed before the historical query, so nothing accepted in between is missed;
        // what both saw is sent once (`Seen`).
        let subscription = store.subscribe(tenant: request.tenant, matchers: selector.matchers, capacity: request.bufferEntries,
                                           capacityBytes: request.bufferBytes)
        defer { subscription.cancel() }
        var seen = Seen()
        if request.limit > 0 {
            let history = try await engine.queryRange(request.query, tenant: request.tenant, start: request.start,
                                                      end: TimeParser.currentNanos() + 1, step: 1_000_000_000,
                                                      direction: .backward, limit: request.limit)
            seen.horizon = store.appliedSequence
            if case .streams(let streams) = history.data {
                var frame = FrameBuilder()
                for s in streams {
                    for e in s.entries.reversed() {
                        seen.insert(labels: s.labels, entry: e)
                        frame.add(labels: s.labels, entry: e)
                    }
                }
                for f in frame.frames(maxEntries: request.maxEntriesPerFrame, dropped: []) { try await send(f) }
            }
        }
        while var delivery = await subscription.next() {
            if request.delayFor > .zero {
                try await Task.sleep(for: request.delayFor)
                guard let more = subscription.takeNow() else { return }
                delivery.batches += more.batches
                delivery.dropped += more.dropped
            }
            var frame = FrameBuilder()
            for published in delivery.batches {
                if published.sequence > seen.horizon { seen.forget() }
                Self.evaluate(published.batch, pipeline: pipeline) { labels, entry in
                    if seen.isEmpty || !seen.remove(labels: labels, entry: entry) { frame.add(labels: labels, entry: entry) }
                }
            }
            if request.delayFor > .zero { frame.sortByTime() }
            for f in frame.frames(maxEntries: request.maxEntriesPerFrame, dropped: delivery.dropped) { try await send(f) }
        }
    }

    /// Runs the pipeline over a batch's entries, calling `emit` for each kept one.
    static func evaluate(_ batch: PackedBatch, pipeline: LogPipeline, emit: (Labels, LogEntry) -> Void) {
        batch.bytes.withUnsafeBytes { bytes in
            for i in 0..<batch.count {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[batch.lineStarts[i]..<batch.lineEnds[i]])
                let metadata = batch.metadata(i)
                // Filters alone decide on the bytes in place; the line is copied only if kept.
                if pipeline.isFilterOnly && !pipeline.matchesLine(raw) { continue }
                let out = pipeline.process(labels: batch.labels, line: Array(raw), timestamp: batch.timestamps[i], metadata: metadata)
                guard out.keep else { continue }
                emit(out.labels, LogEntry(timestamp: batch.timestamps[i], line: out.line))
            }
        }
    }
}

/// The entries the historical part sent, so the live part does not send them again. Only
/// entries published at or below `horizon` can be among them.
private struct Seen {
    struct Key: Hashable {
        var labels: Labels
        var timestamp: Int64
        var line: [UInt8]
    }

    var horizon: UInt64 = 0
    private var counts: [Key: Int] = [:]

    var isEmpty: Bool { counts.isEmpty }

    mutating func insert(labels: Labels, entry: LogEntry) {
        counts[Key(labels: labels, timestamp: entry.timestamp, line: entry.line), default: 0] += 1
    }

    /// True (and forgets one) when the entry was sent already.
    mutating func remove(labels: Labels, entry: LogEntry) -> Bool {
        let key = Key(labels: labels, timestamp: entry.timestamp, line: entry.line)
        guard let n = counts[key] else { return false }
        counts[key] = n > 1 ? n - 1 : nil
        return true
    }

    /// Past the horizon nothing can repeat.
    mutating func forget() { if !counts.isEmpty { counts = [:] } }
}

/// Groups entries by labels in order of first appearance, then cuts them into frames.
private struct FrameBuilder {
    private var streams: [StreamResult] = []
    private var index: [Labels: Int] = [:]

    mutating func add(labels: Labels, entry: LogEntry) {
        if let i = index[labels] {
            streams[i].entries.append(entry)
        } else {
            index[labels] = streams.count
            streams.append(StreamResult(labels: labels, entries: [entry]))
        }
    }

    /// Stable, so entries of one timestamp keep their acceptance order.
    mutating func sortByTime() {
        for i in streams.indices {
            streams[i].entries = streams[i].entries.enumerated()
                .sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
                .map(\.element)
        }
    }

    func frames(maxEntries: Int, dropped: [DroppedEntry]) -> [TailFrame] {
        var out: [TailFrame] = []
        var current = TailFrame(streams: [], dropped: dropped)
        var count = 0
        for s in streams {
            var rest = s.entries[...]
            while !rest.isEmpty {
                let take = min(rest.count, max(1, maxEntries) - count)
                current.streams.append(StreamResult(labels: s.labels, entries: Array(rest.prefix(take))))
                rest = rest.dropFirst(take)
                count += take
                if count >= maxEntries {
                    out.append(current)
                    current = TailFrame(streams: [], dropped: [])
                    count = 0
                }
            }
        }
        if !current.streams.isEmpty || !current.dropped.isEmpty { out.append(current) }
        return out
    }
}
