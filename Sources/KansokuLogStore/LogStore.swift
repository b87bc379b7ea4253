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
    let walCompression = WALCompression()
    /// Set while a WAL checkpoint is queued or running.
    let checkpointing = Atomic<Bool>(false)
    /// Live subscribers (tails), fed as appends settle.
    let subscriptions = SubscriptionHub()
    /// The highest WAL sequence applied to the heads (`appliedSequence`).
    let applied = Atomic<UInt64>(0)

    var walDirectory: String { config.directory + "/wal" }

    private init(config: LogStoreConfig, logger: Logger, state: StoreState, firstSegment: Int, existingWAL: [Int: Int]) {
        self.config = config
        self.logger = logger
        self.state = Mutex(state)
        wal = WriteAheadLog(directory: config.directory + "/wal", mode: config.fsync, segmentSize: config.walSegmentSize,
                            firstSegment: firstSegment, existing: existingWAL, faults: config.walFaults, logger: logger)
        codec = BlockCodec(level: config.compressionLevel)
        segments = SegmentFiles(directory: config.directory, fileSize: config.segmentFileSize, logger: logger)
        reader = BlockReader(directory: config.directory, codec: codec)
    }

    /// Opens (or creates) the store in `config.directory`: reopens the period indexes, then
    /// replays the WAL (a torn last record is dropped) and writes what it held into chunks.
    public static func open(_ config: LogStoreConfig, logger: Logger = Logger(label: "kansoku.logstore")) throws(LogStoreError) -> LogStore {
        guard config.blockSize > 0, config.chunkTargetSize > 0, config.periodLength > 0, config.walSegmentSize > 0 else {
            throw .invalidConfig("blockSize, chunkTargetSize, periodLength and walSegmentSize must be positive")
        }
        let periodNames: [String]
        do throws(FileIOError) {
            try FileIO.makeDirectories(config.directory + "/wal")
            try FileIO.makeDirectories(config.directory + "/periods")
            periodNames = try FileIO.listDirectory(config.directory + "/periods")
        } catch { throw .io(error) }
        var state = StoreState()
        for name in periodNames {
            let indexPath = config.directory + "/periods/" + name + "/index"
            guard FileIO.exists(indexPath) else { continue }
            let indexBytes: [UInt8]
            do throws(FileIOError) { indexBytes = try FileIO.readFile(indexPath) } catch { throw .io(error) }
            let index = try IndexFile.decode(indexBytes, path: indexPath)
            for (id, s) in index.streams { state.remember(id: id, tenant: s.tenant, labels: s.labels) }
            state.periods[index.start] = index
        }
        var flushed: [UInt64: WALMark] = [:]
        for p in state.periods.values {
            for (id, s) in p.streams { if let m = s.flushedThrough, flushed[id].map({ $0 < m }) ?? true { flushed[id] = m } }
        }
        let walSegments = try WriteAheadLog.segments(in: config.directory + "/wal")
        var existingWAL: [Int: Int] = [:]
        for seg in walSegments {
            do throws(FileIOError) { existingWAL[seg] = Int(try FileIO.fileSize(path: config.directory + "/wal/" + WriteAheadLog.segmentName(seg))) } catch { throw .io(error) }
        }
        let store = LogStore(config: config, logger: logger, state: state, firstSegment: (walSegments.last ?? 0) + 1,
                             existingWAL: existingWAL)
        var replayed = 0
        for seg in walSegments {
            var jobs: [CutJob] = []
            let outcome = try WALReplay.replay(directory: store.walDirectory, segment: seg, logger: logger) { batch, record in
                store.state.withLock { st in
                    let id = st.resolveID(tenant: batch.tenant, labels: batch.labels)
                    var skip = 0
                    if let f = flushed[id] {
                        if (seg, record) < (f.segment, f.record) { return }
                        if (seg, record) == (f.segment, f.record) { skip = min(f.entry, batch.count) }
                    }
                    guard skip < batch.count else { return }
                    jobs += store.applyLocked(&st, id: id, batch: batch, range: skip..<batch.count,
                                              segment: seg, record: record, now: TimeParser.currentNanos())
                    replayed += batch.count - skip
                }
            }
            _ = outcome
            store.flushSynchronously(store.runCutJobs(jobs))
        }
        if replayed > 0 { logger.info("replayed WAL", metadata: ["entries": "\(replayed)", "segments": "\(walSegments.count)"]) }
        store.wal.onSettle { [weak store] seq, placement in store?.settle(seq, placement: placement) }
        store.checkpointIfNeeded()
        return store
    }
}
