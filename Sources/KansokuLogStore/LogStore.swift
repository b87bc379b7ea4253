import KansokuCore
public import Logging
import Synchronization

/// A Loki-style log store: streams (tenant + labels), a write-ahead log with group commit,
/// per-stream heads cut into zstd blocks with token filters, chunks in append-only segment
/// files, and a per-period label index. Safe to use from many tasks at once: one mutex guards
/// the in-memory state and is never held across an await or around compression or I/O.
public final class LogStore: Sendable {
    /// The tenant used when tenancy is off (Loki's name for it).
    public static let defaultTenant = "fake"

    public let config: LogStoreConfig
    let logger: Logger
    let state: Mutex<StoreState>
    let wal: WriteAheadLog
    let codec: BlockCodec
    let segments: SegmentFiles
    let reader: BlockReader

    var walDirectory: String { config.directory + "/wal" }

    private init(config: LogStoreConfig, logger: Logger, state: StoreState, firstSegment: Int) {
        self.config = config
        self.logger = logger
        self.state = Mutex(state)
        wal = WriteAheadLog(directory: config.directory + "/wal", mode: config.fsync, segmentSize: config.walSegmentSize,
                            firstSegment: firstSegment, logger: logger)
        codec = BlockCodec(level: config.compressionLevel)
        segments = SegmentFiles(directory: config.directory, fileSize: config.segmentFileSize, logger: logger)
        reader = BlockReader(directory: config.directory, codec: codec)
    }

    /// Opens (or creates) the store in `config.directory`: reopens the period indexes, then
    /// replays the WAL (a torn last record is dropped) and writes what it held into chunks.
    public static func open(_ config: LogStoreConfig, logger: Logger) throws(LogStoreError) -> LogStore {
        guard config.blockSize > 0, config.chunkTargetSize > 0, config.periodLength > 0, config.walSegmentSize > 0 else {
            throw .invalidConfig("blockSize, chunkTargetSize, periodLength and walSegmentSize must be positive")
        }
        try FileIO.makeDirectories(config.directory + "/wal")
        try FileIO.makeDirectories(config.directory + "/periods")
        var state = StoreState()
        for name in try FileIO.listDirectory(config.directory + "/periods") {
            let indexPath = config.directory + "/periods/" + name + "/index"
            guard FileIO.exists(indexPath) else { continue }
            let index = try IndexFile.decode(try FileIO.readFile(indexPath), path: indexPath)
            for (id, s) in index.streams { state.remember(id: id, tenant: s.tenant, labels: s.labels) }
            state.periods[index.start] = index
        }
        var flushed: [UInt64: WALMark] = [:]
        for p in state.periods.values {
            for (id, s) in p.streams { if let m = s.flushedThrough, flushed[id].map({ $0 < m }) ?? true { flushed[id] = m } }
        }
        let walSegments = try WriteAheadLog.segments(in: config.directory + "/wal")
        let store = LogStore(config: config, logger: logger, state: state, firstSegment: (walSegments.last ?? 0) + 1)
        var replayed = 0
        for seg in walSegments {
            var jobs: [CutJob] = []
            let outcome = try WALReplay.replay(directory: store.walDirectory, segment: seg, logger: logger) { tenant, labels, entries, record in
                store.state.withLock { st in
                    let id = st.resolveID(tenant: tenant, labels: labels)
                    var skip = 0
                    if let f = flushed[id] {
                        if (seg, record) < (f.segment, f.record) { return }
                        if (seg, record) == (f.segment, f.record) { skip = min(f.entry, entries.count) }
                    }
                    guard skip < entries.count else { return }
                    jobs += store.applyLocked(&st, id: id, tenant: tenant, labels: labels, entries: entries[skip...],
                                              segment: seg, record: record, now: TimeParser.currentNanos())
                    replayed += entries.count - skip
                }
            }
            _ = outcome
            store.flushSynchronously(store.runCutJobs(jobs))
        }
        if replayed > 0 { logger.info("replayed WAL", metadata: ["entries": "\(replayed)", "segments": "\(walSegments.count)"]) }
        return store
    }

    /// Appends entries. Returns only when the accepted entries are in the fsynced WAL
    /// (acknowledged means durable). Entries too old for their stream's out-of-order window,
    /// too long, or of a stream without labels are returned as rejected, with the reason.
    public func append(_ batches: [StreamBatch]) async throws(LogStoreError) -> AppendResult {
        var result = AppendResult()
        let now = TimeParser.currentNanos()
        let pending: (seq: UInt64, jobs: [CutJob])? = try state.withLock { (st) throws(LogStoreError) -> (UInt64, [CutJob])? in
            guard !st.closed else { throw .closed }
            var w = ByteWriter(capacity: 1 << 16)
            var records = 0
            var accepted: [(id: UInt64, batch: Int, entries: [LogEntry])] = []
            for (bi, batch) in batches.enumerated() {
                guard !batch.labels.isEmpty else {
                    for e in batch.entries {
                        result.rejected.append(RejectedEntry(labels: batch.labels, timestamp: e.timestamp, reason: .emptyLabels(tenant: batch.tenant)))
                    }
                    continue
                }
                let id = st.resolveID(tenant: batch.tenant, labels: batch.labels)
                var highest = st.streams[id]?.highestTime ?? Int64.min
                var ok: [LogEntry] = []
                ok.reserveCapacity(batch.entries.count)
                for e in batch.entries {
                    let oldest = highest == Int64.min ? Int64.min : highest &- config.outOfOrderWindow
                    if e.timestamp < oldest {
                        result.rejected.append(RejectedEntry(labels: batch.labels, timestamp: e.timestamp,
                            reason: .tooOld(labels: batch.labels, timestamp: e.timestamp, oldestAllowed: oldest)))
                    } else if e.line.count > config.maxLineSize {
                        result.rejected.append(RejectedEntry(labels: batch.labels, timestamp: e.timestamp,
                            reason: .lineTooLong(labels: batch.labels, timestamp: e.timestamp, size: e.line.count, limit: config.maxLineSize)))
                    } else {
                        highest = max(highest, e.timestamp)
                        ok.append(e)
                    }
                }
                guard !ok.isEmpty else { continue }
                if st.streams[id] == nil { st.streams[id] = newStream(&st, id: id, tenant: batch.tenant, labels: batch.labels) }
                st.streams[id]?.highestTime = highest
                WALRecord.encode(tenant: batch.tenant, labels: batch.labels, entries: ok, into: &w)
                records += 1
                accepted.append((id, bi, ok))
            }
            guard records > 0 else { return nil }
            // Enqueue while holding the lock, so WAL order is the order entries reach heads.
            let (segment, first, seq) = wal.enqueue(w.bytes, records: records)
            var jobs: [CutJob] = []
            for (i, a) in accepted.enumerated() {
                let b = batches[a.batch]
                jobs += applyLocked(&st, id: a.id, tenant: b.tenant, labels: b.labels, entries: a.entries[...],
                                    segment: segment, record: first + i, now: now)
                result.accepted += a.entries.count
            }
            return (seq, jobs)
        }
        guard let pending else { return result }
        // Compress cut blocks while the WAL queue writes and syncs.
        let closed = runCutJobs(pending.jobs)
        if !closed.isEmpty { segments.enqueue(closed, store: self) }
        try await wal.waitDurable(pending.seq)
        return result
    }

    func newStream(_ st: inout StoreState, id: UInt64, tenant: String, labels: Labels) -> StreamState {
        StreamState(id: id, tenant: tenant, labels: labels, chunk: OpenChunk(generation: st.newGeneration(), createdAt: 0))
    }

    /// Under the lock: adds accepted entries to a stream's head, registers the stream in the
    /// periods it touches, and cuts the head into a block when full or when the chunk is old.
    func applyLocked(_ st: inout StoreState, id: UInt64, tenant: String, labels: Labels, entries: ArraySlice<LogEntry>,
                     segment: Int, record: Int, now: Int64) -> [CutJob] {
        if st.streams[id] == nil { st.streams[id] = newStream(&st, id: id, tenant: tenant, labels: labels) }
        guard var s = st.streams.removeValue(forKey: id) else { return [] }
        defer { st.streams[id] = s }
        var minT = Int64.max, maxT = Int64.min
        var jobs: [CutJob] = []
        if s.chunk.createdAt == 0 { s.chunk.createdAt = now }
        if s.headWALSegment == nil { s.headWALSegment = segment }
        s.head.reserve(bytes: config.blockSize + 4096)
        for i in entries.indices {
            let e = entries[i]
            s.head.append(timestamp: e.timestamp, line: e.line, metadata: e.metadata)
            s.lastMark = WALMark(segment: segment, record: record, entry: i + 1)
            minT = min(minT, e.timestamp)
            maxT = max(maxT, e.timestamp)
            s.highestTime = max(s.highestTime, e.timestamp)
            if s.head.rawSize >= config.blockSize, let job = sealHead(&s, st: &st) { jobs.append(job) }
        }
        st.register(s, minTime: minT, maxTime: maxT, periodLength: config.periodLength)
        if now - s.chunk.createdAt >= config.maxChunkAge {
            if let job = sealHead(&s, st: &st) { jobs.append(job) }
            s.chunk.forceClose = true
            if let c = closeIfReady(&s, st: &st) { s.closing.append(c); pendingClosed(&st, c) }
        }
        return jobs
    }

    /// Cuts the head into a pending block of the open chunk; the returned job compresses it.
    func sealHead(_ s: inout StreamState, st: inout StoreState) -> CutJob? {
        guard !s.head.isEmpty else { return nil }
        let block = s.head.cut()
        if let h = s.headWALSegment { s.chunk.walSegment = min(s.chunk.walSegment ?? h, h) }
        s.headWALSegment = nil
        s.chunk.walMark = s.lastMark
        let slot = s.chunk.slots.count
        s.chunk.slots.append(.pending(block))
        if slot == 0 {
            s.chunk.dictionaryBlock = block
            return CutJob(stream: s.id, generation: s.chunk.generation, slot: 0, block: block,
                          dictionaryBlock: nil, dictionary: nil)
        }
        return CutJob(stream: s.id, generation: s.chunk.generation, slot: slot, block: block,
                      dictionaryBlock: s.chunk.dictionaryBlock, dictionary: s.chunk.dictionary)
    }

    /// Closes the open chunk when it is full (or must close) and all its blocks are compressed.
    func closeIfReady(_ s: inout StreamState, st: inout StoreState) -> ClosedChunk? {
        let chunk = s.chunk
        guard !chunk.isEmpty, chunk.allEncoded,
              chunk.forceClose || chunk.compressedSize >= config.chunkTargetSize else { return nil }
        var blocks: [EncodedBlock] = []
        for slot in chunk.slots { if case .encoded(let b) = slot { blocks.append(b) } }
        s.chunk = OpenChunk(generation: st.newGeneration(), createdAt: s.head.isEmpty ? 0 : chunk.createdAt)
        return ClosedChunk(stream: s.id, generation: chunk.generation, blocks: blocks,
                           dictionaryBlock: chunk.dictionaryBlock, walSegment: chunk.walSegment, walMark: chunk.walMark)
    }

    /// Chunks closed while applying (under the lock) wait here until the caller hands them on.
    func pendingClosed(_ st: inout StoreState, _ c: ClosedChunk) {
        st.closedQueue.append(c)
    }

    /// Compresses cut blocks (outside the lock), installs them, and returns chunks that closed.
    func runCutJobs(_ jobs: [CutJob]) -> [ClosedChunk] {
        var closed: [ClosedChunk] = []
        for job in jobs {
            var dictionary = job.dictionary
            var built: ZstdDictionary?
            if dictionary == nil, let db = job.dictionaryBlock {
                built = db.lineBytes.withUnsafeBytes { ZstdDictionary(content: $0, level: config.compressionLevel) }
                dictionary = built
            }
            guard let encoded = codec.encode(job.block, dictionary: dictionary) else {
                logger.error("zstd failed to compress a block", metadata: ["stream": "\(job.stream)"])
                continue
            }
            state.withLock { st in
                guard var s = st.streams.removeValue(forKey: job.stream) else { return }
                defer { st.streams[job.stream] = s }
                guard s.chunk.generation == job.generation, job.slot < s.chunk.slots.count else { return }
                s.chunk.slots[job.slot] = .encoded(encoded)
                s.chunk.compressedSize += encoded.compressed.count + encoded.bloom.byteSize
                if let built, s.chunk.dictionary == nil { s.chunk.dictionary = built }
                if let c = closeIfReady(&s, st: &st) { s.closing.append(c); closed.append(c) }
            }
        }
        closed += state.withLock { st in
            defer { st.closedQueue.removeAll() }
            return st.closedQueue
        }
        return closed
    }
}
