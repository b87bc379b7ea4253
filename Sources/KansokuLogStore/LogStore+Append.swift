import KansokuCore

extension LogStore {
    /// Appends entries. Returns only when the accepted entries are in the fsynced WAL
    /// (acknowledged means durable). Entries too old for their stream's out-of-order window,
    /// too long, or of a stream without labels are returned as rejected, with the reason.
    public func append(_ batches: [StreamBatch]) async throws(LogStoreError) -> AppendResult {
        try await append(packed: batches.map(PackedBatch.init))
    }

    /// `append` for packed batches: no allocation per line on the way to the WAL and the heads.
    public func append(packed batches: [PackedBatch]) async throws(LogStoreError) -> AppendResult {
        try await waitDurable(submit(packed: batches))
    }

    /// The first half of `append`: validates, orders and applies the entries and queues their
    /// WAL records, without waiting for the fsync. A producer can prepare and submit its next
    /// batch while this one syncs (order is fixed at submit), then `waitDurable` before it
    /// acknowledges anything upstream.
    public func submit(packed batches: [PackedBatch]) throws(LogStoreError) -> AppendTicket {
        var result = AppendResult()
        // Encode WAL records (and their CRCs) before taking the lock, assuming every entry is
        // accepted; a batch with rejected entries is encoded again under the lock (rare).
        var optimistic = ByteWriter(capacity: batches.reduce(64) { $0 + $1.bytes.count + $1.count * 12 + 64 + $1.labels.count * 32 })
        var ranges: [Range<Int>] = []
        for b in batches {
            let start = optimistic.count
            if !b.labels.isEmpty && b.count > 0 { WALRecord.encode(b, range: 0..<b.count, into: &optimistic, compression: walCompression) }
            ranges.append(start..<optimistic.count)
        }
        let seq: UInt64? = try state.withLock { (st) throws(LogStoreError) -> UInt64? in
            guard !st.closed else { throw .closed }
            var accepted: [(id: UInt64, batch: Int, kept: PackedBatch?)] = []
            for (bi, batch) in batches.enumerated() where batch.count > 0 {
                guard !batch.labels.isEmpty else {
                    for t in batch.timestamps {
                        result.rejected.append(RejectedEntry(labels: batch.labels, timestamp: t, reason: .emptyLabels(tenant: batch.tenant)))
                    }
                    continue
                }
                let id = st.resolveID(tenant: batch.tenant, labels: batch.labels)
                var highest = st.streams[id]?.highestTime ?? Int64.min
                var keptIndices: [Int]?
                for i in 0..<batch.count {
                    let t = batch.timestamps[i]
                    let oldest = highest == Int64.min ? Int64.min : highest &- config.outOfOrderWindow
                    var reason: LogStoreError?
                    let size = batch.lineEnds[i] - batch.lineStarts[i]
                    if t < oldest {
                        reason = .tooOld(labels: batch.labels, timestamp: t, oldestAllowed: oldest)
                    } else if size > config.maxLineSize {
                        reason = .lineTooLong(labels: batch.labels, timestamp: t, size: size, limit: config.maxLineSize)
                    }
                    if let reason {
                        result.rejected.append(RejectedEntry(labels: batch.labels, timestamp: t, reason: reason))
                        if keptIndices == nil { keptIndices = Array(0..<i) }
                    } else {
                        highest = max(highest, t)
                        keptIndices?.append(i)
                    }
                }
                let kept = keptIndices.map { batch.keeping($0) }
                if let kept, kept.count == 0 { continue }
                if st.streams[id] == nil { st.streams[id] = newStream(&st, id: id, tenant: batch.tenant, labels: batch.labels) }
                st.streams[id]?.highestTime = highest
                accepted.append((id, bi, kept))
                result.accepted += kept?.count ?? batch.count
            }
            guard !accepted.isEmpty else { return nil }
            var bytes = optimistic.bytes
            if accepted.contains(where: { $0.kept != nil }) || accepted.count != ranges.filter({ !$0.isEmpty }).count {
                var w = ByteWriter(capacity: optimistic.count)
                for a in accepted {
                    if let kept = a.kept {
                        WALRecord.encode(kept, range: 0..<kept.count, into: &w, compression: walCompression)
                    } else {
                        w.writeBytes(optimistic.bytes[ranges[a.batch]])
                    }
                }
                bytes = w.bytes
            }
            // Enqueued under the lock, so WAL order is the order entries were validated in; the
            // entries reach the heads when their WAL write settles (`settle`).
            let seq = wal.enqueue(bytes, records: accepted.count)
            st.unapplied[seq] = accepted.map { ($0.id, $0.kept ?? batches[$0.batch]) }
            return seq
        }
        return AppendTicket(result: result, sequence: seq)
    }

    /// The second half of `append`: returns the submit's result once its entries are in the
    /// fsynced WAL and in the heads (acknowledged means durable), or throws the WAL's error, in
    /// which case none of them was stored. Then compresses the blocks their arrival cut.
    public func waitDurable(_ ticket: AppendTicket) async throws(LogStoreError) -> AppendResult {
        guard let seq = ticket.sequence else { return ticket.result }
        try await wal.waitDurable(seq)
        let jobs = state.withLock { $0.readyJobs.removeValue(forKey: seq) } ?? []
        let closed = runCutJobs(jobs)
        if !closed.isEmpty { segments.enqueue(closed, store: self) }
        checkpointIfNeeded()
        return ticket.result
    }

    /// Settles one WAL part, on the WAL's I/O queue: once it is durable its entries go to the
    /// heads (so a query sees exactly what was acknowledged), with the WAL position the marks
    /// need; a refused part is dropped. Blocks the apply cut wait for their appender to
    /// compress them (`waitDurable`), off this queue.
    /// Subscribers get the entries right after, in WAL order (this queue is serial).
    func settle(_ seq: UInt64, placement: WriteAheadLog.Placement?) {
        let published = state.withLock { st -> [(id: UInt64, batch: PackedBatch)]? in
            guard let parts = st.unapplied.removeValue(forKey: seq), let placement else { return nil }
            let now = TimeParser.currentNanos()
            var jobs: [CutJob] = []
            for (i, part) in parts.enumerated() {
                jobs += applyLocked(&st, id: part.id, batch: part.batch, range: 0..<part.batch.count,
                                    segment: placement.segment, record: placement.firstRecord + i, now: now)
            }
            if !jobs.isEmpty { st.readyJobs[seq] = jobs }
            // Under the lock, so a query that has seen these entries finished after this store.
            if applied.load(ordering: .relaxed) < seq { applied.store(seq, ordering: .releasing) }
            return parts
        }
        if let published { subscriptions.publish(published, sequence: seq) }
    }

    func newStream(_ st: inout StoreState, id: UInt64, tenant: String, labels: Labels) -> StreamState {
        StreamState(id: id, tenant: tenant, labels: labels, chunk: OpenChunk(generation: st.newGeneration(), createdAt: 0))
    }

    /// Under the lock: adds entries `range` of `batch` to the stream's head, registers the
    /// stream in the periods it touches, and cuts the head into a block when full or old.
    func applyLocked(_ st: inout StoreState, id: UInt64, batch: PackedBatch, range: Range<Int>,
                     segment: Int, record: Int, now: Int64) -> [CutJob] {
        if st.streams[id] == nil { st.streams[id] = newStream(&st, id: id, tenant: batch.tenant, labels: batch.labels) }
        guard var s = st.streams.removeValue(forKey: id) else { return [] }
        defer { st.streams[id] = s }
        var maxT = Int64.min
        var jobs: [CutJob] = []
        if s.chunk.createdAt == 0 { s.chunk.createdAt = now }
        if s.headWALSegment == nil { s.headWALSegment = segment }
        // A block never spans two periods: an entry of another period than the head's cuts it
        // first. The stream is registered in each period it has entries in, with their range.
        var period = PeriodSpan(start: s.headPeriod ?? st.periodStart(batch.timestamps[range.lowerBound], length: config.periodLength),
                                length: config.periodLength)
        var periodMin = Int64.max, periodMax = Int64.min
        batch.bytes.withUnsafeBytes { bytes in
            for i in range {
                let t = batch.timestamps[i]
                if !period.contains(t) {
                    if periodMin <= periodMax {
                        st.register(s, period: period.start, minTime: periodMin, maxTime: periodMax)
                    }
                    period = PeriodSpan(start: st.periodStart(t, length: config.periodLength), length: config.periodLength)
                    periodMin = .max
                    periodMax = .min
                    if !s.head.isEmpty {
                        s.lastMark = WALMark(segment: segment, record: record, entry: i)
                        if let job = sealHead(&s, st: &st) { jobs.append(job) }
                        s.headWALSegment = segment
                    }
                }
                s.headPeriod = period.start
                let line = UnsafeRawBufferPointer(rebasing: bytes[batch.lineStarts[i]..<batch.lineEnds[i]])
                // An entry equal in time and line to the one before it is a client's retry of a
                // push it saw fail: stored once, as Loki does.
                if s.head.endsWith(timestamp: t, line: line) { continue }
                s.head.append(timestamp: t, line: line, metadata: batch.metadata(i))
                periodMin = min(periodMin, t)
                periodMax = max(periodMax, t)
                maxT = max(maxT, t)
                if s.head.rawSize >= config.blockSize {
                    s.lastMark = WALMark(segment: segment, record: record, entry: i + 1)
                    if let job = sealHead(&s, st: &st) { jobs.append(job) }
                }
            }
        }
        s.highestTime = max(s.highestTime, maxT)
        s.lastMark = WALMark(segment: segment, record: record, entry: range.upperBound)
        if s.headWALSegment == nil && !s.head.isEmpty { s.headWALSegment = segment }
        if periodMin <= periodMax { st.register(s, period: period.start, minTime: periodMin, maxTime: periodMax) }
        if now - s.chunk.createdAt >= config.maxChunkAge, let job = closeEarly(&s, st: &st) { jobs.append(job) }
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
            s.chunk.prefix = ChunkPrefix(block)
            return CutJob(stream: s.id, generation: s.chunk.generation, slot: 0, block: block,
                          prefix: nil, filterHint: s.filterHint)
        }
        return CutJob(stream: s.id, generation: s.chunk.generation, slot: slot, block: block,
                      prefix: s.chunk.prefix, filterHint: s.filterHint)
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
                           prefix: chunk.prefix, walSegment: chunk.walSegment, walMark: chunk.walMark)
    }

    /// Compresses cut blocks (outside the lock), installs them, and returns chunks that closed.
    func runCutJobs(_ jobs: [CutJob]) -> [ClosedChunk] {
        var closed: [ClosedChunk] = []
        for job in jobs {
            guard let encoded = codec.encode(job.block, prefix: job.prefix, filterHint: job.filterHint) else {
                logger.error("zstd failed to compress a block", metadata: ["stream": "\(job.stream)"])
                continue
            }
            state.withLock { st in
                guard var s = st.streams.removeValue(forKey: job.stream) else { return }
                defer { st.streams[job.stream] = s }
                s.filterHint = encoded.distinctGrams
                guard s.chunk.generation == job.generation, job.slot < s.chunk.slots.count else { return }
                s.chunk.slots[job.slot] = .encoded(encoded.block)
                s.chunk.compressedSize += encoded.block.compressed.count + encoded.block.bloom.byteSize
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
