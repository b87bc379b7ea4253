import KansokuCore

/// The tailer's self-metrics, registered once and exposed on `/metrics` with the rest of the
/// process's families.
struct TailMetrics: Sendable {
    let lines: Counter
    let bytes: Counter
    let dropped: CounterFamily
    let rejected: Counter
    let appendFailures: Counter
    let truncations: Counter
    let reconciled: CounterFamily
    let files: Gauge

    init(_ registry: MetricsRegistry) {
        lines = registry.counter("kansoku_ingest_lines_total", help: "Lines read from tailed files and sent to the store.").labels()
        bytes = registry.counter("kansoku_ingest_read_bytes_total", help: "Bytes read from tailed files.").labels()
        dropped = registry.counter("kansoku_ingest_dropped_lines_total", help: "Lines dropped by pipeline stages, by reason.",
                                   labelNames: ["reason"])
        rejected = registry.counter("kansoku_ingest_rejected_lines_total",
                                    help: "Tailed lines the store refused (too old, too long).").labels()
        appendFailures = registry.counter("kansoku_ingest_append_failures_total",
                                          help: "Failed attempts to store tailed lines (retried).").labels()
        truncations = registry.counter("kansoku_ingest_truncations_total",
                                       help: "Tailed files found truncated and read again from the start.").labels()
        reconciled = registry.counter("kansoku_ingest_reconciled_lines_total",
                                      help: "Lines of unconfirmed batches checked after a restart or a store failure, by outcome.",
                                      labelNames: ["outcome"])
        files = registry.gauge("kansoku_ingest_files", help: "Files being tailed.").labels()
    }
}
