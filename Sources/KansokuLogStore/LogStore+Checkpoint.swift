import KansokuCore

extension LogStore {
    /// Starts a checkpoint on the segment queue when the WAL has outgrown
    /// `walCheckpointBytes`; at most one runs at a time. Cheap enough to call after every
    /// append.
    func checkpointIfNeeded() {
        guard config.walCheckpointBytes > 0, wal.totalBytes > config.walCheckpointBytes else { return }
        guard checkpointing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        segments.async {
            self.checkpoint()
            self.checkpointing.store(false, ordering: .releasing)
        }
    }

    /// Bounds the WAL whatever the load: a stream's WAL records are only removable once its
    /// chunk is on disk, and a busy stream's chunk takes ~20 MB of raw lines to fill, a quiet
    /// one up to `maxChunkAge`. So the streams that still need the oldest segments have their
    /// heads cut and their open chunks closed early (smaller than the target; compaction
    /// merges them later), until the segments left weigh at most half the budget. Runs on the
    /// segment queue, where it writes the chunks itself.
    func checkpoint() {
        let cutoff = WALCheckpointPlan.cutoff(segments: wal.segmentSizes, keepBytes: config.walCheckpointBytes / 2)
        var jobs: [CutJob] = []
        var flushed = 0
        state.withLock { st in
            for id in st.streams.keys {
                guard let oldest = st.streams[id]?.oldestNeededSegment, oldest < cutoff else { continue }
                guard var s = st.streams.removeValue(forKey: id) else { continue }
                if let job = closeEarly(&s, st: &st) { jobs.append(job) }
                st.streams[id] = s
                flushed += 1
            }
        }
        guard flushed > 0 else { return }
        let closed = runCutJobs(jobs)
        flushSynchronously(closed)
        logger.debug("WAL checkpoint", metadata: ["streams": "\(flushed)", "cutoff": "\(cutoff)", "walBytes": "\(wal.totalBytes)"])
    }

    /// Under the lock: cuts the stream's head into its open chunk and has that chunk close as
    /// soon as its blocks are compressed (now, if they are). The returned job compresses the
    /// head's block.
    func closeEarly(_ s: inout StreamState, st: inout StoreState) -> CutJob? {
        let job = sealHead(&s, st: &st)
        guard !s.chunk.isEmpty else { return job }
        s.chunk.forceClose = true
        if let c = closeIfReady(&s, st: &st) {
            s.closing.append(c)
            st.closedQueue.append(c)
        }
        return job
    }

    /// Cuts every head, writes every chunk and removes the WAL segments they covered, as
    /// Loki's ingester does on `POST /flush`: for operators before maintenance, and for
    /// benchmarks that measure the data at rest.
    public func flush() async {
        await wal.rotateAndCloseFile()
        await flushAll()
    }
}

/// Which WAL segments a checkpoint frees.
enum WALCheckpointPlan {
    /// The oldest segment to keep: the newest segments whose sizes add up to at most
    /// `keepBytes` stay (the newest always does, it is being written); data of every segment
    /// before the returned one must reach chunks.
    static func cutoff(segments: [(segment: Int, bytes: Int)], keepBytes: Int) -> Int {
        guard var cutoff = segments.last?.segment else { return 0 }
        var kept = 0
        for (segment, bytes) in segments.reversed() {
            kept += bytes
            if kept > keepBytes && segment != segments.last?.segment { break }
            cutoff = segment
        }
        return cutoff
    }
}
