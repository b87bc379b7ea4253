import KansokuCore

/// Scrape health in Kansoku's own `/metrics`.
struct ScrapeSelfMetrics: Sendable {
    let scrapes: CounterFamily
    let failures: CounterFamily
    let samples: CounterFamily
    let duration: HistogramFamily
    let targets: GaugeFamily

    init(registry: MetricsRegistry) {
        scrapes = registry.counter("kansoku_scrapes_total", help: "Scrapes attempted, by job.", labelNames: ["job"])
        failures = registry.counter("kansoku_scrape_failures_total",
                                    help: "Scrapes that failed (HTTP error, timeout or malformed exposition), by job.",
                                    labelNames: ["job"])
        samples = registry.counter("kansoku_scrape_samples_total", help: "Samples scraped, by job.", labelNames: ["job"])
        duration = registry.histogram("kansoku_scrape_duration_seconds", help: "Time a scrape took, by job.",
                                      labelNames: ["job"])
        targets = registry.gauge("kansoku_scrape_targets", help: "Configured scrape targets, by job.", labelNames: ["job"])
    }

    func observe(job: String, seconds: Double, failed: Bool, samples n: Int) {
        scrapes.labels(job).inc()
        if failed { failures.labels(job).inc() } else { _ = failures.labels(job) }
        samples.labels(job).inc(Double(n))
        duration.labels(job).observe(seconds)
    }

    func setTargets(_ perJob: [String: Int]) {
        for (job, n) in perJob { targets.labels(job).set(Double(n)) }
    }
}
