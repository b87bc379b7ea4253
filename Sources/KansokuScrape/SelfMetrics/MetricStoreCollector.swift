public import KansokuCore
public import KansokuMetricStore

extension MetricsRegistry {
    /// Reports `store`'s statistics at every gather, under Prometheus-like names
    /// (`kansoku_tsdb_head_series`, `kansoku_tsdb_wal_fsync_duration_seconds`, …).
    public func collectMetricStore(_ store: MetricStore, key: String = "metricstore") {
        setCollector(key) { MetricStoreCollector.families(store.stats()) }
    }
}

/// `MetricStoreStats` as metric families.
public enum MetricStoreCollector {
    public static func families(_ s: MetricStoreStats) -> [MetricFamilySnapshot] {
        func gauge(_ name: String, _ help: String, _ v: Double) -> MetricFamilySnapshot {
            MetricFamilySnapshot(name: name, help: help, kind: .gauge, samples: [.init(value: v)])
        }
        func counter(_ name: String, _ help: String, _ v: UInt64) -> MetricFamilySnapshot {
            MetricFamilySnapshot(name: name, help: help, kind: .counter, samples: [.init(value: Double(v))])
        }
        var fsync: [MetricFamilySnapshot.Sample] = []
        for (bound, count) in zip(s.walFsyncBucketBounds, s.walFsyncBuckets) {
            let le = bound.isInfinite ? "+Inf" : FloatText.format(bound)
            fsync.append(.init(suffix: "_bucket", labels: [Label(name: "le", value: le)], value: Double(count)))
        }
        if s.walFsyncBucketBounds.last?.isInfinite != true {
            fsync.append(.init(suffix: "_bucket", labels: [Label(name: "le", value: "+Inf")], value: Double(s.walFsyncs)))
        }
        fsync.append(.init(suffix: "_sum", value: s.walFsyncSeconds))
        fsync.append(.init(suffix: "_count", value: Double(s.walFsyncs)))
        return [
            gauge("kansoku_tsdb_head_series", "Series in the head block.", Double(s.headSeries)),
            gauge("kansoku_tsdb_head_chunks", "Chunks in the head block.", Double(s.headChunks)),
            gauge("kansoku_tsdb_head_min_time_seconds", "Oldest sample time in the head (unix seconds).",
                  Double(s.headMinTime) / 1000),
            gauge("kansoku_tsdb_head_max_time_seconds", "Newest sample time in the head (unix seconds).",
                  Double(s.headMaxTime) / 1000),
            gauge("kansoku_tsdb_blocks_loaded", "Persisted blocks.", Double(s.blocks)),
            gauge("kansoku_tsdb_storage_blocks_bytes", "Bytes of persisted blocks.", Double(s.blockBytes)),
            gauge("kansoku_tsdb_wal_segments", "WAL segment files.", Double(s.walSegments)),
            counter("kansoku_tsdb_head_samples_appended_total", "Samples appended to the head.", s.samplesAppended),
            counter("kansoku_tsdb_out_of_order_samples_total", "Samples rejected as out of order.", s.outOfOrderSamples),
            counter("kansoku_tsdb_duplicate_samples_total", "Samples rejected as duplicates with another value.",
                    s.duplicateSamples),
            counter("kansoku_tsdb_out_of_bounds_samples_total", "Samples rejected as older than the head.",
                    s.outOfBoundsSamples),
            counter("kansoku_tsdb_head_series_created_total", "Series created in the head.", s.seriesCreated),
            counter("kansoku_tsdb_head_series_removed_total", "Series removed from the head.", s.seriesRemoved),
            counter("kansoku_tsdb_head_truncations_total", "Head truncations.", s.headTruncations),
            counter("kansoku_tsdb_compactions_total", "Block compactions.", s.compactions),
            counter("kansoku_tsdb_blocks_deleted_by_retention_total", "Blocks deleted by retention.",
                    s.blocksDeletedByRetention),
            counter("kansoku_tsdb_checkpoints_total", "WAL checkpoints written.", s.checkpoints),
            counter("kansoku_tsdb_wal_corruptions_total", "Corrupted WAL records found on replay.", s.walCorruptions),
            counter("kansoku_tsdb_wal_failed_batches_total", "WAL batches whose write or fsync failed (their appends were refused).",
                    s.walFailedBatches),
            counter("kansoku_tsdb_appends_refused_total", "Appends refused because their WAL write failed.", s.appendsRefused),
            MetricFamilySnapshot(name: "kansoku_tsdb_wal_fsync_duration_seconds", help: "Duration of WAL fsyncs.",
                                 kind: .histogram, samples: fsync),
        ]
    }
}
