import KansokuCore
import KansokuMetricStore

/// What a queue knows about the WAL's series: their labels after `write_relabel_configs`
/// (nil when dropped), the newest time sent or skipped per series, so samples the head
/// rejected (logged all the same) are not sent either, and the last segment that logged the
/// series, so series the store dropped are forgotten at its next checkpoint, as Prometheus's
/// queue does on `SeriesReset`. Memory follows the store's live series, not the WAL's history.
struct SeriesState: Sendable {
    struct Known: Sendable {
        var labels: Labels?
        var newest: Int64 = .min
        var segment: Int
    }

    let relabel: [RelabelConfig]
    private(set) var series: [UInt64: Known] = [:]
    /// The checkpoint last applied by `forget(droppedBy:)`.
    private(set) var checkpoint = -1

    init(relabel: [RelabelConfig]) { self.relabel = relabel }

    /// Labels to send for `ref`; nil when unknown or dropped by relabelling.
    func labels(_ ref: UInt64) -> Labels? { series[ref]?.labels ?? nil }

    /// Records before the start position: learned, not sent. Their segments are settled by
    /// `primed(through:)` once the start position is known.
    mutating func prime(_ record: WALTailRecord) {
        switch record {
        case .series(let ss): learn(ss, segment: .max)
        case .samples(let ss):
            for s in ss where s.t > (series[s.ref]?.newest ?? .min) { series[s.ref]?.newest = s.t }
        }
    }

    /// Counts every primed series as logged in `segment` (where the reader starts): at or
    /// after where it was, so it is kept at least as long as the store keeps it.
    mutating func primed(through segment: Int) {
        for key in series.keys where series[key]!.segment == .max { series[key]!.segment = segment }
    }

    mutating func take(_ record: WALTailRecord, segment: Int, into pending: inout [WALSample], metrics: RemoteWriteMetrics) {
        switch record {
        case .series(let ss): learn(ss, segment: segment)
        case .samples(let ss):
            var highest = Int64.min
            var dropped = 0
            for s in ss {
                guard let known = series[s.ref] else { dropped += 1; continue }
                guard s.t > known.newest else { continue }
                series[s.ref]!.newest = s.t
                highest = max(highest, s.t)
                guard known.labels != nil else { dropped += 1; continue }
                pending.append(s)
            }
            metrics.samplesIn.inc(Double(ss.count))
            if dropped > 0 { metrics.samplesDropped.inc(Double(dropped)) }
            if highest > .min { metrics.highestTimestamp.set(max(metrics.highestTimestamp.value, Double(highest) / 1000)) }
        }
    }

    /// Forgets the series checkpoint `index` no longer holds: logged in a segment it replaced
    /// and not kept in it (`live`). Only called once the reader is past `index` and holds no
    /// unsent samples, so nothing still to be sent loses its labels. Returns how many went.
    @discardableResult
    mutating func forget(droppedBy index: Int, live: Set<UInt64>) -> Int {
        guard index > checkpoint else { return 0 }
        checkpoint = index
        let before = series.count
        series = series.filter { $0.value.segment > index || live.contains($0.key) }
        return before - series.count
    }

    private mutating func learn(_ ss: [(ref: UInt64, labels: Labels)], segment: Int) {
        for s in ss {
            let labels = RelabelConfig.process(s.labels, relabel)
            if series[s.ref] != nil {
                series[s.ref]!.labels = labels
                series[s.ref]!.segment = max(series[s.ref]!.segment, segment)
            } else {
                series[s.ref] = Known(labels: labels, segment: segment)
            }
        }
    }
}
