import KansokuIngest
import KansokuScrape

extension RemoteWriteMetadata {
    /// The scrapes' families as remote write sends them: Prometheus maps a declared type to
    /// `MetricMetadata.MetricType` by name, so `untyped` (and a family with HELP only) is UNKNOWN.
    static func fromScrapes(_ entries: [TargetMetadata]) -> [RemoteWriteMetadata] {
        entries.map { e in
            let type: MetricType = switch e.metadata.type {
            case .counter: .counter
            case .gauge: .gauge
            case .histogram: .histogram
            case .gaugehistogram: .gaugeHistogram
            case .summary: .summary
            case .info: .info
            case .stateset: .stateSet
            case .unknown: .unknown
            }
            return RemoteWriteMetadata(type: type, family: e.family, help: e.metadata.help ?? "", unit: e.metadata.unit ?? "")
        }
    }
}
