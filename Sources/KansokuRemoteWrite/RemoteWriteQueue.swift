public import AsyncHTTPClient
import KansokuCore
import KansokuIngest
import KansokuMetricStore
public import Logging

/// One `metrics.remote_write` destination, fed from the metric WAL as Prometheus's WAL watcher
/// feeds its queues.
///
/// Each round reads WAL records from the last acknowledged position until it holds
/// `max_shards × max_samples_per_send` samples (or the WAL's end), spreads them over as many
/// shards as that backlog needs (series stay on one shard, so each series' samples go out in
/// order), sends every shard's batches in parallel, retries recoverable failures with backoff
/// until they land, then persists the round's end position. A receiver outage stalls the
/// rounds, never loses them; a crash (kill -9 included) resends from the persisted position,
/// and receivers take an exact repeat of a sample as already stored. Memory is one round of
/// samples plus the series map, whatever the backlog; the map forgets the series the store
/// drops at each WAL checkpoint. `samples_pending` is what was read and not yet acknowledged.
public final class RemoteWriteQueue: Sendable {
    public let config: RemoteWriteConfig
    let metricsDirectory: String
    let position: QueuePosition
    let client: RemoteWriteClient
    let metrics: RemoteWriteMetrics
    let logger: Logger

    /// `metricsDirectory` is the metric store's directory; `stateDirectory` holds this
    /// queue's acknowledged position.
    public init(config: RemoteWriteConfig, metricsDirectory: String, stateDirectory: String, httpClient: HTTPClient,
                logger: Logger) {
        self.config = config
        self.metricsDirectory = metricsDirectory
        position = QueuePosition(directory: stateDirectory + "/" + config.queueName)
        client = RemoteWriteClient(client: httpClient, config: config)
        metrics = RemoteWriteMetrics(queue: config.queueName, url: config.url)
        self.logger = logger
    }

    /// Samples in one round: every shard's full batch.
    var roundSize: Int { min(config.queue.maxShards * config.queue.maxSamplesPerSend, 1 << 20) }

    /// Runs until cancelled.
    public func run() async throws {
        let q = config.queue
        metrics.shardsMax.set(Double(q.maxShards))
        metrics.shardsMin.set(Double(q.minShards))
        var state = SeriesState(relabel: config.writeRelabelConfigs)
        var tail = WALTail(metricsDirectory: metricsDirectory)
        let saved = position.load()
        try tail.start(from: saved?.acknowledged) { state.prime($0) }
        state.primed(through: tail.position.segment)
        noteSkipped(tail.skippedSegments)
        var acknowledged = tail.position
        // A round cut short by a crash is re-formed exactly, then sent again.
        var replayEnd = saved?.inFlightEnd
        if saved?.acknowledged != acknowledged {
            replayEnd = nil
            try position.save(QueueMark(acknowledged: acknowledged))
        }
        logger.info("remote write queue started", metadata: ["queue": "\(config.queueName)", "from": "\(acknowledged)"])

        var pending: [WALSample] = []
        var end = tail.position
        var oldestPending: ContinuousClock.Instant?
        var checked = (segment: tail.position.segment, at: ContinuousClock.now)
        metrics.samplesPending.set(0)
        while !Task.isCancelled {
            // Between rounds, series the store dropped at a checkpoint are forgotten.
            if pending.isEmpty, tail.position.segment != checked.segment || checked.at.duration(to: .now) > .seconds(30) {
                checked = (tail.position.segment, .now)
                if let cp = try tail.checkpointSeries(newerThan: state.checkpoint), cp.index < checked.segment {
                    let gone = state.forget(droppedBy: cp.index, live: cp.refs)
                    logger.debug("remote write: series dropped by the store forgotten", metadata: [
                        "queue": "\(config.queueName)", "checkpoint": "\(cp.index)", "series": "\(gone)",
                    ])
                }
            }
            var more = true
            let skippedBefore = tail.skippedSegments
            while more && (replayEnd != nil || pending.count < roundSize) {
                more = try tail.read(maxBytes: 1 << 20, limit: replayEnd) { record, after in
                    state.take(record, segment: after.segment, into: &pending, metrics: metrics)
                    end = after
                }
            }
            noteSkipped(tail.skippedSegments - skippedBefore)
            metrics.samplesPending.set(Double(pending.count))
            let replaying = replayEnd != nil
            replayEnd = nil
            if pending.isEmpty {
                if end != acknowledged {
                    try position.save(QueueMark(acknowledged: end))
                    acknowledged = end
                }
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            let now = ContinuousClock.now
            if oldestPending == nil { oldestPending = now }
            // Caught up with a small batch: wait for more, up to batch_send_deadline.
            if !replaying, !more, pending.count < q.maxSamplesPerSend * q.minShards,
               let since = oldestPending, since.duration(to: now) < .milliseconds(q.batchSendDeadline.milliseconds) {
                try await Task.sleep(for: .milliseconds(50))
                continue
            }
            if !replaying { try position.save(QueueMark(acknowledged: acknowledged, inFlightEnd: end)) }
            try await sendRound(pending, state: state)
            try position.save(QueueMark(acknowledged: end))
            acknowledged = end
            pending.removeAll(keepingCapacity: pending.capacity <= roundSize * 2)
            oldestPending = nil
            metrics.samplesPending.set(0)
        }
    }

    private func noteSkipped(_ n: Int) {
        guard n > 0 else { return }
        metrics.skippedSegments.inc(Double(n))
        logger.warning("remote write: WAL segments were checkpointed before they were sent",
                       metadata: ["queue": "\(config.queueName)", "segments": "\(n)"])
    }

    /// Sends one round over as many shards as it needs; returns when every batch was
    /// delivered or dropped as unrecoverable.
    func sendRound(_ samples: [WALSample], state: SeriesState) async throws {
        let q = config.queue
        let desired = (samples.count + q.maxSamplesPerSend - 1) / q.maxSamplesPerSend
        let shards = min(max(desired, q.minShards), q.maxShards)
        metrics.shardsDesired.set(Double(desired))
        metrics.shards.set(Double(shards))
        var perShard = [[WALSample]](repeating: [], count: shards)
        for s in samples { perShard[Int(s.ref % UInt64(shards))].append(s) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for shard in perShard where !shard.isEmpty {
                group.addTask {
                    var i = 0
                    while i < shard.count {
                        let batch = shard[i..<min(i + q.maxSamplesPerSend, shard.count)]
                        try await self.send(batch, state: state)
                        i += batch.count
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Encodes one batch and posts it until it is delivered or refused for good.
    func send(_ batch: ArraySlice<WALSample>, state: SeriesState) async throws {
        var bySeries: [UInt64: Int] = [:]
        var series: [RemoteWriteSeries] = []
        var highest = Int64.min
        for s in batch {
            guard let labels = state.labels(s.ref) else { continue }
            if let i = bySeries[s.ref] {
                series[i].samples.append(RemoteWriteSample(t: s.t, v: s.v))
            } else {
                bySeries[s.ref] = series.count
                series.append(RemoteWriteSeries(labels: Array(labels), samples: [RemoteWriteSample(t: s.t, v: s.v)]))
            }
            highest = max(highest, s.t)
        }
        let body = RemoteWriteCodec.encode(series)
        metrics.samplesTotal.inc(Double(batch.count))
        let delivered = try await deliver(body, count: batch.count, what: "samples", bytes: metrics.bytesTotal,
                                          retried: metrics.samplesRetried, failed: metrics.samplesFailed,
                                          duration: metrics.sentBatchDuration)
        metrics.samplesPending.dec(Double(batch.count))
        if delivered { metrics.highestSent.set(max(metrics.highestSent.value, Double(highest) / 1000)) }
    }

    /// Posts one body until it is delivered (true) or refused for good (false, counted in
    /// `failed`); recoverable failures are retried after `Retry-After` or a doubling backoff.
    /// `duration` times the attempt that was delivered.
    func deliver(_ body: [UInt8], count: Int, what: String, bytes: Counter, retried: Counter, failed: Counter,
                 duration: Histogram? = nil) async throws -> Bool {
        var backoff = config.queue.minBackoff.milliseconds
        while true {
            try Task.checkCancellation()
            let start = ContinuousClock.now
            let outcome = await client.post(body)
            bytes.inc(Double(body.count))
            switch outcome {
            case .delivered:
                duration?.observeDuration(since: start)
                return true
            case .permanent(let reason):
                failed.inc(Double(count))
                logger.error("remote write: batch refused, dropped", metadata: [
                    "queue": "\(config.queueName)", what: "\(count)", "reason": "\(reason)",
                ])
                return false
            case .retryable(let reason, let retryAfter):
                retried.inc(Double(count))
                let wait = retryAfter ?? .milliseconds(backoff)
                logger.warning("remote write: batch failed, retrying", metadata: [
                    "queue": "\(config.queueName)", what: "\(count)", "reason": "\(reason)", "retry_in": "\(wait)",
                ])
                try await Task.sleep(for: wait)
                backoff = min(backoff * 2, config.queue.maxBackoff.milliseconds)
            }
        }
    }
}
