import KansokuCore
import KansokuMetricStore
import Logging
import Synchronization

/// Shared between a running loop and its manager.
final class ScrapeLoopControl: Sendable {
    /// Set when the target was removed from the config: the loop writes stale markers on exit.
    let markStaleOnExit = Atomic<Bool>(false)
}

/// The scrape of one target every interval: fetch, parse, append samples and the target's
/// own series (`up`, `scrape_duration_seconds`, …), and write stale markers for series that
/// vanish or for everything when the target fails. An actor, so a scrape requested out of
/// schedule never overlaps a scheduled one and both see the same cache.
actor ScrapeLoop {
    let target: ScrapeTarget
    let fetcher: ScrapeFetcher
    let store: MetricStore
    let board: ScrapeHealthBoard
    let metadataBoard: ScrapeMetadataBoard
    let metrics: ScrapeSelfMetrics
    let control: ScrapeLoopControl
    var logger: Logger
    var cache: ScrapeCache
    private var lastError: String?
    private var reportedOnce = false
    private var publishedMetadata = 0

    init(target: ScrapeTarget, fetcher: ScrapeFetcher, store: MetricStore, board: ScrapeHealthBoard,
         metadataBoard: ScrapeMetadataBoard, metrics: ScrapeSelfMetrics, control: ScrapeLoopControl, logger: Logger) {
        self.target = target
        self.fetcher = fetcher
        self.store = store
        self.board = board
        self.metadataBoard = metadataBoard
        self.metrics = metrics
        self.control = control
        self.logger = logger
        self.logger[metadataKey: "job"] = "\(target.job)"
        self.logger[metadataKey: "instance"] = "\(target.instance)"
        cache = ScrapeCache(target: target.labels, honorTimestamps: target.honorTimestamps)
    }

    /// Runs until the task is cancelled. The first scrape waits for this target's offset in
    /// the interval; later ones keep to the interval grid whatever a scrape took.
    func run() async {
        let interval = target.interval.milliseconds
        let clock = ContinuousClock()
        let nowMs = Self.wallMillis()
        let wait = (target.offset(interval: interval) - nowMs % interval + interval) % interval
        var next = clock.now.advanced(by: .milliseconds(wait))
        while !Task.isCancelled {
            do { try await Task.sleep(until: next, clock: clock) } catch { break }
            await scrapeOnce(time: Self.wallMillis())
            next = next.advanced(by: .milliseconds(interval))
            // Behind by whole intervals (suspended process): skip them rather than burst.
            while next < clock.now { next = next.advanced(by: .milliseconds(interval)) }
        }
        if control.markStaleOnExit.load(ordering: .relaxed) { await markGone(time: Self.wallMillis()) }
    }

    /// One scrape at `time` (unix ms): everything appended before it returns.
    func scrapeOnce(time: Int64) async {
        let start = ContinuousClock.now
        var samples: [(labels: Labels, t: Int64, v: Double)]
        var batch = ScrapeBatch()
        var failure: ScrapeError?
        do throws(ScrapeError) {
            let (body, format) = try await fetcher.fetch(target)
            do {
                batch = try cache.ingest(body, format: format, time: time)
            } catch {
                throw ScrapeError.malformed(error, format: format)
            }
            samples = batch.samples
            if cache.metadataVersion != publishedMetadata {
                publishedMetadata = cache.metadataVersion
                metadataBoard.publish(target, cache.metadata)
            }
        } catch {
            failure = error
            samples = cache.markAllStale(time: time)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        samples.append(contentsOf: report(time: time, up: failure == nil, seconds: seconds, batch: batch))
        var appendError: String?
        do {
            let result = try await store.append(samples)
            if result.rejected > 0 {
                logger.debug("samples rejected by the store", metadata: [
                    "out_of_order": "\(result.outOfOrder)", "duplicate": "\(result.duplicate)",
                    "out_of_bounds": "\(result.outOfBounds)",
                ])
            }
        } catch {
            appendError = "append failed: \(error)"
            logger.error("could not store scraped samples", metadata: ["error": "\(error)"])
            // As a failed commit in Prometheus: none of the scrape's samples is stored and the
            // scrape counts as failed; `up` = 0 (with the other report series) is written on
            // its own if the disk takes it.
            _ = try? await store.append(report(time: time, up: false, seconds: seconds, batch: ScrapeBatch()))
        }
        record(time: time, seconds: seconds, failure: failure, appendError: appendError, batch: batch)
    }

    /// The target's own series, as Prometheus writes them after every scrape.
    private func report(time: Int64, up: Bool, seconds: Double, batch: ScrapeBatch) -> [(labels: Labels, t: Int64, v: Double)] {
        [
            (target.labels.reportLabels(name: "up"), time, up ? 1 : 0),
            (target.labels.reportLabels(name: "scrape_duration_seconds"), time, seconds),
            (target.labels.reportLabels(name: "scrape_samples_scraped"), time, Double(batch.scraped)),
            (target.labels.reportLabels(name: "scrape_samples_post_metric_relabeling"), time, Double(batch.postRelabeling)),
            (target.labels.reportLabels(name: "scrape_series_added"), time, Double(batch.seriesAdded)),
        ]
    }

    private func record(time: Int64, seconds: Double, failure: ScrapeError?, appendError: String?, batch: ScrapeBatch) {
        let message = failure.map { "\($0)" } ?? appendError
        if let failure {
            // Log when the reason changes, not on every interval of a long outage.
            if message != lastError {
                logger.warning("scrape failed, up=0", metadata: ["url": "\(target.url)", "reason": "\(failure)"])
            } else {
                logger.debug("scrape failed, up=0", metadata: ["url": "\(target.url)", "reason": "\(failure)"])
            }
        } else if lastError != nil {
            logger.info("scrape recovered, up=1", metadata: ["url": "\(target.url)"])
        }
        lastError = message
        metrics.observe(job: target.job, seconds: seconds, failed: failure != nil, samples: batch.scraped)
        board.update(target) { h in
            h.state = failure == nil && appendError == nil ? .up : .down
            h.lastScrape = time
            h.lastDurationSeconds = seconds
            h.lastError = message
            h.lastSamples = batch.scraped
        }
    }

    /// Stale markers for every series of the target and its report series.
    private func markGone(time: Int64) async {
        var samples = cache.markAllStale(time: time)
        for name in ["up", "scrape_duration_seconds", "scrape_samples_scraped",
                     "scrape_samples_post_metric_relabeling", "scrape_series_added"] {
            samples.append((target.labels.reportLabels(name: name), time, StaleNaN.value))
        }
        do { _ = try await store.append(samples) } catch {
            logger.error("could not write stale markers for a removed target", metadata: ["error": "\(error)"])
        }
    }

    nonisolated static func wallMillis() -> Int64 { TimeParser.currentNanos() / 1_000_000 }
}
