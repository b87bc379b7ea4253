import KansokuCore

extension LogStore {
    /// Cuts every head, writes every chunk, persists the index, syncs, and removes the WAL
    /// (everything it held is now in chunks). The store refuses appends afterwards.
    public func close() async throws(LogStoreError) {
        let alreadyClosed = state.withLock { st in
            defer { st.closed = true }
            return st.closed
        }
        guard !alreadyClosed else { return }
        subscriptions.cancelAll()
        try await wal.close()
        await flushAll()
        await segments.barrier()
        let leftover = state.withLock { st in st.streams.values.contains { $0.oldestNeededSegment != nil } }
        if !leftover {
            try wal.removeSegments(before: wal.currentSegment + 1)
        } else {
            logger.warning("some chunks could not be written; their data stays in the WAL for the next start")
        }
        segments.closeAll()
        reader.closeAll()
    }

    /// Closes chunks older than `maxChunkAge` (by wall-clock time since their first entry) so
    /// quiet streams reach disk and the WAL can be truncated. Call it periodically (for
    /// example every minute).
    public func maintain(now: Int64? = nil) async {
        let now = now ?? TimeParser.currentNanos()
        var jobs: [CutJob] = []
        state.withLock { st in
            for id in Array(st.streams.keys) {
                guard var s = st.streams.removeValue(forKey: id) else { continue }
                if s.chunk.createdAt != 0 && now - s.chunk.createdAt >= config.maxChunkAge {
                    if let job = closeEarly(&s, st: &st) { jobs.append(job) }
                }
                st.streams[id] = s
            }
        }
        let closed = runCutJobs(jobs)
        if !closed.isEmpty { segments.enqueue(closed, store: self) }
    }

    /// Cuts all heads and closes all chunks, then waits until they are written.
    func flushAll() async {
        var jobs: [CutJob] = []
        state.withLock { st in
            for id in Array(st.streams.keys) {
                guard var s = st.streams.removeValue(forKey: id) else { continue }
                if let job = closeEarly(&s, st: &st) { jobs.append(job) }
                st.streams[id] = s
            }
        }
        let closed = runCutJobs(jobs)
        if !closed.isEmpty { segments.enqueue(closed, store: self) }
        await segments.barrier()
    }

    /// Deletes every period that ended at or before `now - retention` (whole periods, as Loki's
    /// retention does), with its segment files and index. No-op when retention is 0.
    public func applyRetention(now: Int64) throws(LogStoreError) {
        guard config.retention > 0 else { return }
        let cutoff = now &- config.retention
        let expired: [Int64] = state.withLock { st in
            let old = st.periods.keys.filter { !st.periodOverlaps($0, length: config.periodLength, from: cutoff, through: .max) }
            for start in old {
                st.periods[start] = nil
                let prefix = SegmentFiles.periodFolder(start) + "/"
                for k in Array(st.periods.keys) { st.periods[k]?.removeChunks(inFilesWithPrefix: prefix) }
            }
            return old
        }
        for start in expired.sorted() {
            let folder = SegmentFiles.periodFolder(start)
            segments.forget(period: start)
            reader.forget(prefix: folder + "/")
            do throws(FileIOError) { try FileIO.removeTree(config.directory + "/" + folder) } catch { throw .io(error) }
            logger.info("retention deleted a period", metadata: ["period": "\(TimeFormatter.rfc3339Nano(start))"])
        }
        if !expired.isEmpty {
            do throws(FileIOError) { try FileIO.fsyncDirectory(config.directory + "/periods") } catch { throw .io(error) }
            // Other periods may have lost refs into the deleted files: persist them.
            try persistIndexes(state.withLock { $0.takeDirtyIndexes() })
        }
    }
}
