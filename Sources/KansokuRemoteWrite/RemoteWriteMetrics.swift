import KansokuCore

/// A queue's self-metrics under Prometheus's names and labels (`remote_name`, `url`), so the
/// dashboards and alerts written for Prometheus's remote write work on Kansoku unchanged.
struct RemoteWriteMetrics: Sendable {
    let samplesIn: Counter
    let samplesTotal: Counter
    let samplesFailed: Counter
    let samplesRetried: Counter
    let samplesDropped: Counter
    let samplesPending: Gauge
    let bytesTotal: Counter
    let highestTimestamp: Gauge
    let highestSent: Gauge
    let shards: Gauge
    let shardsDesired: Gauge
    let shardsMax: Gauge
    let shardsMin: Gauge
    let sentBatchDuration: Histogram
    let skippedSegments: Counter
    let metadataTotal: Counter
    let metadataFailed: Counter
    let metadataRetried: Counter
    let metadataBytes: Counter

    init(queue: String, url: String, registry: MetricsRegistry = .shared) {
        let labels = ["remote_name", "url"]
        func counter(_ name: String, _ help: String) -> Counter {
            registry.counter("prometheus_remote_storage_" + name, help: help, labelNames: labels).labels(queue, url)
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.gauge("prometheus_remote_storage_" + name, help: help, labelNames: labels).labels(queue, url)
        }
        samplesIn = registry.counter("prometheus_remote_storage_samples_in_total",
                                     help: "Samples read from the WAL by remote-write queues.").labels()
        highestTimestamp = registry.gauge("prometheus_remote_storage_highest_timestamp_in_seconds",
                                          help: "Highest timestamp read from the WAL by remote-write queues, in seconds since the epoch.").labels()
        samplesTotal = counter("samples_total", "Samples sent to remote storage (counted once per batch, not per retry).")
        samplesFailed = counter("samples_failed_total", "Samples dropped after an unrecoverable error (a 4xx answer other than 429).")
        samplesRetried = counter("samples_retried_total", "Samples sent again after a recoverable error (5xx, 429, network).")
        samplesDropped = counter("samples_dropped_total", "Samples not sent because write_relabel_configs dropped their series.")
        samplesPending = gauge("samples_pending", "Samples read from the WAL and not yet acknowledged by remote storage.")
        bytesTotal = counter("bytes_total", "Compressed request bytes sent to remote storage, retries included.")
        highestSent = gauge("queue_highest_sent_timestamp_seconds",
                            "Highest timestamp acknowledged by remote storage, in seconds since the epoch.")
        shards = gauge("shards", "Shards sending in parallel in the last round.")
        shardsDesired = gauge("shards_desired", "Shards the backlog calls for.")
        shardsMax = gauge("shards_max", "queue_config.max_shards.")
        shardsMin = gauge("shards_min", "queue_config.min_shards.")
        sentBatchDuration = registry.histogram("prometheus_remote_storage_sent_batch_duration_seconds",
                                               help: "Duration of one send request, retries excluded.",
                                               labelNames: labels).labels(queue, url)
        metadataTotal = counter("metadata_total", "Metric metadata entries sent to remote storage.")
        metadataFailed = counter("metadata_failed_total", "Metric metadata entries dropped after an unrecoverable error.")
        metadataRetried = counter("metadata_retried_total", "Metric metadata entries sent again after a recoverable error.")
        metadataBytes = counter("metadata_bytes_total", "Compressed metadata request bytes sent to remote storage, retries included.")
        skippedSegments = counter("wal_segments_skipped_total",
                                  "WAL segments checkpointed away before the queue read them (their samples were not sent).")
    }
}
