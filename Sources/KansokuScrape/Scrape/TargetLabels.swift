public import KansokuCore

/// Merges a target's labels (`job`, `instance`, static labels) into scraped series the way
/// Prometheus does (`scrape/scrape.go` `mutateSampleLabels`).
public struct TargetLabels: Sendable, Hashable {
    /// job, instance and static labels, sorted.
    public let labels: Labels
    public let honorLabels: Bool

    public init(labels: Labels, honorLabels: Bool) {
        self.labels = labels
        self.honorLabels = honorLabels
    }

    /// The series a scraped label set becomes.
    ///
    /// With `honorLabels` the exposition wins on conflicts and target labels fill the gaps.
    /// Without it target labels win and a clashing exposed label is kept as `exported_<name>`
    /// (again prefixed while that name is taken). Empty label values mean "absent".
    public func apply(to scraped: Labels) -> Labels {
        // A target cannot name another tenant, whatever `honor_labels` says.
        let scraped = labels[MetricTenancy.label] == nil ? scraped : scraped.removing([MetricTenancy.label])
        var out: [Label] = []
        out.reserveCapacity(scraped.count + labels.count)
        for l in scraped where !l.value.isEmpty { out.append(l) }
        if honorLabels {
            for t in labels where !t.value.isEmpty && scraped[t.name].map(\.isEmpty) ?? true {
                out.append(t)
            }
            return Labels(out)
        }
        var conflicts: [Label] = []
        for t in labels {
            if let i = out.firstIndex(where: { $0.name == t.name }) {
                conflicts.append(out.remove(at: i))
            }
            if !t.value.isEmpty { out.append(t) }
        }
        for c in conflicts {
            var name = "exported_" + c.name
            while out.contains(where: { $0.name == name }) { name = "exported_" + name }
            out.append(Label(name: name, value: c.value))
        }
        return Labels(out)
    }

    /// The labels of the series the scrape itself reports (`up`, `scrape_duration_seconds`, …).
    public func reportLabels(name: String) -> Labels { labels.setting("__name__", to: name) }
}

/// Prometheus 3 stores `le` of histogram buckets and `quantile` of summaries in canonical
/// float text (`1` → `1.0`), so queries match whatever spelling an exporter used.
func normalizingBucketLabels(_ labels: Labels, type: MetricType) -> Labels {
    let name: String
    switch type {
    case .histogram, .gaugehistogram: name = "le"
    case .summary: name = "quantile"
    default: return labels
    }
    guard let value = labels[name] else { return labels }
    let canonical = TextExpositionWriter.canonicalBound(value)
    return canonical == value ? labels : labels.setting(name, to: canonical)
}
