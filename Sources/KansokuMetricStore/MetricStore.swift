public import KansokuCore
public import Logging
import Synchronization

/// A Prometheus-style metric store: series index with postings, Gorilla/XOR head chunks,
/// a write-ahead log with group commit, 2 h blocks persisted from the head, compaction and
/// retention. Appends are durable when they return; reads merge blocks and head.
public final class MetricStore: Sendable {
    let config: MetricStoreConfig
    let logger: Logger
    let head: Head
    let wal: WAL
    let blocks: BlockSet
    private let closed = Atomic<Bool>(false)
    private let maintaining = Mutex<Bool>(false)

    private init(config: MetricStoreConfig, logger: Logger, head: Head, wal: WAL, blocks: BlockSet) {
        self.config = config
        self.logger = logger
        self.head = head
        self.wal = wal
        self.blocks = blocks
    }

    /// Opens (or creates) the store in `config.directory`: loads blocks, replays the WAL.
    public static func open(
        _ config: MetricStoreConfig, logger: Logger = Logger(label: "kansoku.metricstore")
    ) throws(MetricStoreError) -> MetricStore {
        guard config.blockDuration > 0, config.retention > 0, config.walSegmentSize > 0 else {
            throw .invalidConfig("blockDuration, retention and walSegmentSize must be positive")
        }
        do throws(FileIOError) { try FileIO.makeDirectories(config.directory) } catch { throw .io(error) }
        let blocks = try BlockSet.load(config.directory, logger: logger)
        let head = Head(chunkRange: config.blockDuration)
        let minValid = blocks.headMinValidTime
        head.minValidTime.store(minValid, ordering: .relaxed)
        let walDir = config.directory + "/wal"
        var remap: [UInt64: UInt64] = [:]
        var fresh: [(ref: UInt64, labels: Labels)] = []
        var replayed = 0
        let (next, corruptions) = try head.writer.withLock { w throws(MetricStoreError) in
            try WALReplay.replay(walDir, logger: logger) { rec in
                switch rec {
                case .series(let ss):
                    for s in ss {
                        let (ref, created) = head.getOrCreate(s.labels, in: &w, ref: s.ref)
                        remap[s.ref] = ref
                        // Its slot was taken: the series lives under a ref no WAL record names yet.
                        if created && ref != s.ref { fresh.append((ref, s.labels)) }
                    }
                case .samples(let ss):
                    var lo = Int64.max, hi = Int64.min
                    for s in ss where s.t >= minValid {
                        guard let ref = remap[s.ref] else { continue }
                        if head.append(ref: ref, t: s.t, v: s.v) == .appended {
                            replayed += 1
                            lo = min(lo, s.t)
                            hi = max(hi, s.t)
                        }
                    }
                    if lo <= hi { head.noteTimes(min: lo, max: hi) }
                }
            }
        }
        head.writer.withLock { head.finishReplay(in: &$0) }
        head.counters.withLock { $0.walCorruptions = UInt64(corruptions) }
        // Series whose every sample is already in a block come back empty: forget them.
        if minValid > .min {
            head.writer.withLock { w in _ = head.truncate(before: minValid, in: &w) }
        }
        let wal = try WAL(
            directory: walDir, firstSegment: next, segmentSize: config.walSegmentSize, mode: config.fsync,
            faults: config.walFaults,
            onFailure: { error in
                logger.error("metric WAL write failed; its appends are refused and the WAL goes on",
                             metadata: ["error": "\(error)"])
            })
        fresh.removeAll { !head.contains(ref: $0.ref) }
        if !fresh.isEmpty {
            var bytes: [UInt8] = []
            WALRecord.encodeSeries(fresh, into: &bytes)
            let seq = try wal.log(bytes)
            try wal.waitDurableBlocking(seq)
        }
        logger.info("metric store opened", metadata: [
            "dir": "\(config.directory)", "blocks": "\(blocks.count)", "series": "\(head.seriesCount)",
            "replayed_samples": "\(replayed)",
        ])
        return MetricStore(config: config, logger: logger, head: head, wal: wal, blocks: blocks)
    }

    /// Appends a batch. Durable (WAL fsynced) when it returns. Out-of-order, duplicate and
    /// out-of-bounds samples are rejected one by one and counted in the result.
    ///
    /// The records are logged first and the samples reach the head (become queryable) only
    /// once the WAL write covering them is durable. If that write fails, the call throws and
    /// none of its samples is stored; the next append tries the disk afresh.
    public func append(_ samples: [(labels: Labels, t: Int64, v: Double)]) async throws(MetricStoreError) -> MetricAppendResult {
        if closed.load(ordering: .relaxed) { throw .closed }
        let (early, seq) = try head.writer.withLock { w throws(MetricStoreError) -> (MetricAppendResult, UInt64?) in
            var result = MetricAppendResult()
            var created: [(ref: UInt64, labels: Labels)] = []
            var refs: [UInt64] = []
            var ts: [Int64] = []
            var vs: [Double] = []
            refs.reserveCapacity(samples.count)
            ts.reserveCapacity(samples.count)
            vs.reserveCapacity(samples.count)
            let minValid = head.minValidTime.load(ordering: .relaxed)
            for s in samples {
                if s.t < minValid {
                    result.outOfBounds += 1
                    continue
                }
                let (ref, isNew) = head.getOrCreate(s.labels, in: &w)
                if isNew { created.append((ref, s.labels)) }
                refs.append(ref)
                ts.append(s.t)
                vs.append(s.v)
            }
            if created.isEmpty && refs.isEmpty { return (result, nil) }
            // Samples the head will reject (out of order, duplicate) are logged too: replay
            // applies records in the same order and rejects them again the same way.
            var bytes: [UInt8] = []
            WALRecord.encodeSeries(created, into: &bytes)
            var records: [WALRecord.RefSample] = []
            records.reserveCapacity(refs.count)
            for i in refs.indices { records.append(WALRecord.RefSample(ref: refs[i], t: ts[i], v: vs[i])) }
            WALRecord.encodeSamples(records, into: &bytes)
            var apply: WAL.Apply?
            if !refs.isEmpty {
                let (h, r, t, v) = (head, refs, ts, vs)
                apply = { MetricStore.apply(h, r, t, v) }
            }
            let seq = try wal.log(bytes, series: created, apply: apply)
            return (result, seq)
        }
        var result = early
        if let seq {
            do throws(MetricStoreError) {
                let applied = try await wal.waitDurable(seq)
                result.appended += applied.appended
                result.outOfOrder += applied.outOfOrder
                result.duplicate += applied.duplicate
                result.outOfBounds += applied.outOfBounds
            } catch {
                head.counters.withLock { $0.appendsRefused += 1 }
                throw error
            }
        }
        head.counters.withLock {
            $0.samplesAppended += UInt64(result.appended)
            $0.outOfOrderSamples += UInt64(result.outOfOrder)
            $0.duplicateSamples += UInt64(result.duplicate)
            $0.outOfBoundsSamples += UInt64(result.outOfBounds)
        }
        scheduleMaintenanceIfDue()
        return result
    }

    /// Puts durable samples into the head (on the WAL thread, in WAL order). Holds `writer`
    /// so `persistHead`'s barrier also waits for it, and re-checks the lower bound it may have
    /// raised since the samples were logged (replay skips those the same way).
    private static func apply(_ head: Head, _ refs: [UInt64], _ ts: [Int64], _ vs: [Double]) -> MetricAppendResult {
        head.writer.withLock { _ in
            var result = MetricAppendResult()
            var (refs, ts, vs) = (refs, ts, vs)
            let minValid = head.minValidTime.load(ordering: .relaxed)
            if let oldest = ts.min(), oldest < minValid {
                let keep = ts.indices.filter { ts[$0] >= minValid }
                result.outOfBounds = ts.count - keep.count
                (refs, ts, vs) = (keep.map { refs[$0] }, keep.map { ts[$0] }, keep.map { vs[$0] })
            }
            var lo = Int64.max, hi = Int64.min
            refs.withUnsafeBufferPointer { r in
                ts.withUnsafeBufferPointer { t in
                    vs.withUnsafeBufferPointer { v in
                        head.append(refs: r, ts: t, vs: v) { i, outcome in
                            switch outcome {
                            case .appended:
                                result.appended += 1
                                lo = min(lo, t[i])
                                hi = max(hi, t[i])
                            case .repeated: result.appended += 1
                            case .outOfOrder: result.outOfOrder += 1
                            case .duplicate: result.duplicate += 1
                            case nil: result.outOfBounds += 1
                            }
                        }
                    }
                }
            }
            if lo <= hi { head.noteTimes(min: lo, max: hi) }
            return result
        }
    }

    /// Flushes and closes the WAL. The head is not persisted: the next open replays the WAL.
    public func close() async throws(MetricStoreError) {
        if closed.exchange(true, ordering: .relaxed) { return }
        while maintaining.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        wal.stop()
    }

    // MARK: maintenance

    private var headIsDue: Bool {
        let lo = head.minTime.load(ordering: .relaxed)
        let hi = head.maxTime.load(ordering: .relaxed)
        return lo <= hi && hi - lo > config.blockDuration * 3 / 2
    }

    private func scheduleMaintenanceIfDue() {
        guard headIsDue else { return }
        let start = maintaining.withLock { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard start else { return }
        Task.detached { [self] in
            defer { maintaining.withLock { $0 = false } }
            do throws(MetricStoreError) { try runMaintenance() } catch {
                logger.error("metric store maintenance failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Persists due head ranges into blocks, compacts blocks and applies retention now (the
    /// same work that runs automatically after appends).
    public func compact() async throws(MetricStoreError) {
        while true {
            let start = maintaining.withLock { running -> Bool in
                if running { return false }
                running = true
                return true
            }
            if start { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        defer { maintaining.withLock { $0 = false } }
        try runMaintenance()
    }

    private func runMaintenance() throws(MetricStoreError) {
        while headIsDue {
            let lo = head.minTime.load(ordering: .relaxed)
            let start = MemSeries.rangeEnd(lo, config.blockDuration) - config.blockDuration
            try persistHead(minT: start, maxT: start + config.blockDuration)
        }
        let merges = try blocks.compact(config: config, logger: logger, headMinTime: head.minValidTime.load(ordering: .relaxed))
        let newest = max(blocks.maxTime, head.maxTime.load(ordering: .relaxed))
        let (cutoff, overflow) = newest.subtractingReportingOverflow(config.retention)
        let expired = overflow ? 0 : try blocks.applyRetention(before: cutoff, logger: logger)
        head.counters.withLock {
            $0.compactions += UInt64(merges)
            $0.blocksDeletedByRetention += UInt64(expired)
        }
    }

    /// Writes `[minT, maxT)` of the head as a block, then drops it from the head and
    /// checkpoints the WAL. Every step is crash-safe: until the checkpoint, replay re-reads
    /// the range and skips what a block already holds.
    func persistHead(minT: Int64, maxT: Int64) throws(MetricStoreError) {
        // Close the range to appends first, so the block cannot miss a late sample.
        head.minValidTime.store(max(head.minValidTime.load(ordering: .relaxed), maxT), ordering: .relaxed)
        head.writer.withLock { _ in }
        let series = head.chunksForBlock(minT: minT, maxT: maxT)
        if !series.isEmpty {
            let block = try BlockWriter.write(
                directory: config.directory, minT: minT, maxT: maxT,
                series: series.map { s in (s.labels, s.chunks.map { ChunkMeta(minT: $0.minT, maxT: $0.maxT, bytes: $0.bytes) }) },
                origin: .head, level: 1, sources: [])
            blocks.add(block)
        }
        let last = try wal.cutSegment()
        head.writer.withLock { w in _ = head.truncate(before: maxT, in: &w) }
        try WALReplay.checkpoint(config.directory + "/wal", through: last, keep: { head.contains(ref: $0) }, minT: maxT)
        head.counters.withLock { $0.checkpoints += 1 }
        logger.info("metric head persisted", metadata: ["minT": "\(minT)", "maxT": "\(maxT)", "series": "\(series.count)"])
    }
}
