public import KansokuCore
public import KansokuLogStore
public import Logging

/// Tuning of the tail loop. The defaults suit a server; tests shorten the intervals.
public struct TailSettings: Sendable {
    /// How often files are polled for new data, in nanoseconds.
    public var pollInterval: Int64 = 250_000_000
    /// How often globs are expanded again to find new and rotated files.
    public var rescanInterval: Int64 = 1_000_000_000
    /// A batch is sent once it holds this many bytes of lines.
    public var batchBytes = 4 << 20
    /// An unterminated last line is stored as it is after this long without new data.
    public var partialLineTimeout: Int64 = 5_000_000_000
    /// Size of each read.
    public var readSize = 1 << 20
    /// First delay before retrying when the store fails; doubles up to 30 s.
    public var retryDelay: Int64 = 500_000_000

    public init() {}

    /// Settings from the `logs` section (`poll_interval`, `batch_size`, `partial_line_timeout`).
    public init(_ config: LogsConfig) throws(PipelineConfigError) {
        if let p = config.pollInterval {
            guard let d = PromDuration(p), d.milliseconds > 0 else {
                throw .invalidSetting(key: "poll_interval", value: p, expected: "a duration like 250ms")
            }
            pollInterval = d.nanoseconds
            rescanInterval = max(rescanInterval, d.nanoseconds)
        }
        if let b = config.batchSize {
            guard let n = ByteSize.parseInt(b), n > 0 else { throw .invalidSetting(key: "batch_size", value: b, expected: "a size like 4MiB") }
            batchBytes = n
        }
        if let w = config.partialLineTimeout {
            guard let d = PromDuration(w), d.milliseconds > 0 else {
                throw .invalidSetting(key: "partial_line_timeout", value: w, expected: "a duration like 5s")
            }
            partialLineTimeout = d.nanoseconds
        }
    }
}

/// Tails the files of `logs.targets` into the log store, exactly once across crashes.
///
/// ## Why no line is lost or stored twice
///
/// The positions file records, per file (by device and inode), the offset up to which every
/// line is stored, and — written *before* each `append` — the byte range of the lines about to
/// be sent (`PendingRange`: end offset, the base timestamp of lines without a time of their
/// own, the pipeline's fudge state, a checksum of the raw lines and their count). After the
/// store acknowledges the batch (it is then in the fsynced WAL), the offset advances to the
/// range's end; that new state is written together with the next batch's range, or on its own
/// when the files are idle. Every write is atomic (temporary file, fsync, rename, fsync of the
/// directory).
///
/// After a crash a range can be in any state: never sent, partly durable (the store commits
/// each stream's entries as its own WAL record, so a torn write can keep some streams of a
/// batch and lose others) or fully durable with the positions write lost. So on restart each
/// pending range is *reconciled*: its bytes are read again and turned into the very same
/// entries (`RangeEncoder` is deterministic given the recorded base timestamp and fudge
/// state), the checksum proves the bytes are the ones sent, each stream's stored entries in
/// the range's time span are fetched, and only the entries missing from the store (counted as
/// a multiset of timestamp and line) are appended. Then the offset moves to the range's end.
/// Lines after the range were never sent and are simply read again.
///
/// The same reconciliation runs when `append` fails at run time, before anything new is read.
/// If the checksum does not match (the file was truncated and rewritten while the server was
/// down), the file is read again from the start, as Promtail does for truncated files.
public final class TailService: Sendable {
    let targets: [TailTarget]
    let positions: PositionsFile
    let sink: any LogSink
    let tenant: String
    let settings: TailSettings
    let clock: TailClock
    let logger: Logger
    let metrics: TailMetrics

    /// - Parameters:
    ///   - positionsPath: defaults to `logs.positions_file`, else `<dataDirectory>/positions.yaml`.
    public init(config: LogsConfig, dataDirectory: String, sink: any LogSink, tenant: String = LogStore.defaultTenant,
                settings: TailSettings? = nil, clock: TailClock = .system,
                logger: Logger = Logger(label: "kansoku.ingest"),
                metrics registry: MetricsRegistry = .shared) throws(PipelineConfigError) {
        var targets: [TailTarget] = []
        for t in config.targets ?? [] { targets.append(try TailTarget(t)) }
        self.targets = targets
        self.positions = PositionsFile(path: config.positionsFile ?? dataDirectory + "/positions.yaml")
        self.sink = sink
        self.tenant = tenant
        if let settings {
            self.settings = settings
        } else {
            self.settings = try TailSettings(config)
        }
        self.clock = clock
        self.logger = logger
        self.metrics = TailMetrics(registry)
    }

    /// Whether any target is configured (the server need not start the loop otherwise).
    public var hasTargets: Bool { !targets.isEmpty }

    /// Tails until the task is cancelled, then sends what was read, saves positions and returns.
    public func run() async {
        let state = TailState(service: self)
        await state.start()
        var lastRescan = clock.monotonic()
        while !Task.isCancelled {
            if clock.monotonic() - lastRescan >= settings.rescanInterval {
                state.discover()
                lastRescan = clock.monotonic()
            }
            let (batch, full) = state.collect()
            if !batch.isEmpty {
                await state.send(batch)
                if full { continue }
            } else {
                state.saveIfDirty()
                state.closeDrained()
            }
            try? await Task.sleep(nanoseconds: UInt64(settings.pollInterval))
        }
        await state.shutdown()
    }

    /// One pass without waiting: discover, read everything available, store it, save positions.
    /// For tests and one-shot imports.
    public func runOnce() async {
        let state = TailState(service: self)
        await state.start()
        while true {
            let (batch, _) = state.collect()
            if batch.isEmpty { break }
            await state.send(batch)
        }
        state.saveIfDirty()
        await state.shutdown()
    }
}
