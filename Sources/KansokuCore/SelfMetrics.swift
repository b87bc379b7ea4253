import Synchronization

/// Kansoku's own instrumentation: counters, gauges and histograms with labels, safe to use
/// from any thread, gathered into snapshots that the `/metrics` endpoint renders in the
/// Prometheus text format.
///
/// Names follow Prometheus conventions: counters end in `_total`, base units (`_seconds`,
/// `_bytes`). Families are created once (`counter(_:help:labelNames:)` returns the existing
/// family for a repeated name) and children are looked up by label values; hot paths should
/// keep the child they use.
public final class MetricsRegistry: Sendable {
    /// The process-wide registry that `/metrics` exposes.
    public static let shared = MetricsRegistry()

    private struct State {
        var families: [String: any GatherableFamily] = [:]
        var collectors: [String: @Sendable () -> [MetricFamilySnapshot]] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func counter(_ name: String, help: String, labelNames: [String] = []) -> CounterFamily {
        family(name) { CounterFamily(name: name, help: help, labelNames: labelNames) }
    }

    public func gauge(_ name: String, help: String, labelNames: [String] = []) -> GaugeFamily {
        family(name) { GaugeFamily(name: name, help: help, labelNames: labelNames) }
    }

    public func histogram(
        _ name: String, help: String, labelNames: [String] = [], buckets: [Double] = HistogramFamily.defaultBuckets
    ) -> HistogramFamily {
        family(name) { HistogramFamily(name: name, help: help, labelNames: labelNames, buckets: buckets) }
    }

    /// Registers (or replaces) a callback that reports families at gather time, for values
    /// that live elsewhere (head series, block counts): no copy goes stale.
    public func setCollector(_ key: String, _ collect: @escaping @Sendable () -> [MetricFamilySnapshot]) {
        state.withLock { $0.collectors[key] = collect }
    }

    public func removeCollector(_ key: String) {
        _ = state.withLock { $0.collectors.removeValue(forKey: key) }
    }

    /// Every family's current values, sorted by name.
    public func gather() -> [MetricFamilySnapshot] {
        let (families, collectors) = state.withLock { (Array($0.families.values), Array($0.collectors.values)) }
        var out = families.map { $0.snapshot() }
        for c in collectors { out.append(contentsOf: c()) }
        return out.sorted { $0.name < $1.name }
    }

    private func family<F: GatherableFamily>(_ name: String, make: () -> F) -> F {
        state.withLock { s in
            if let existing = s.families[name] {
                guard let typed = existing as? F else {
                    preconditionFailure("metric \(name) registered twice with different types")
                }
                return typed
            }
            let f = make()
            s.families[name] = f
            return f
        }
    }
}

/// The kind of a self-metric family.
public enum SelfMetricKind: String, Sendable, Hashable {
    case counter, gauge, histogram, summary, untyped
}

/// One family's values at gather time.
public struct MetricFamilySnapshot: Sendable, Hashable {
    public var name: String
    public var help: String
    public var kind: SelfMetricKind
    public var samples: [Sample]

    /// `name + suffix` with labels in the order given (histograms add `le` last).
    public struct Sample: Sendable, Hashable {
        public var suffix: String
        public var labels: [Label]
        public var value: Double

        public init(suffix: String = "", labels: [Label] = [], value: Double) {
            self.suffix = suffix
            self.labels = labels
            self.value = value
        }
    }

    public init(name: String, help: String, kind: SelfMetricKind, samples: [Sample]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }
}

protocol GatherableFamily: Sendable {
    func snapshot() -> MetricFamilySnapshot
}

/// Children of a family by label values.
final class Children<Child: Sendable>: Sendable {
    private let byValues = Mutex<[[String]: Child]>([:])
    let labelNames: [String]

    init(labelNames: [String]) { self.labelNames = labelNames }

    func child(_ values: [String], make: () -> Child) -> Child {
        precondition(values.count == labelNames.count,
                     "expected \(labelNames.count) label values (\(labelNames)), got \(values.count)")
        return byValues.withLock { m in
            if let c = m[values] { return c }
            let c = make()
            m[values] = c
            return c
        }
    }

    func all() -> [(labels: [Label], child: Child)] {
        byValues.withLock { m in
            m.map { (values, child) in (zip(labelNames, values).map { Label(name: $0, value: $1) }, child) }
        }.sorted { $0.labels.lexicographicallyPrecedes($1.labels) }
    }
}

/// A monotonically increasing value.
public final class Counter: Sendable {
    private let bits = Atomic<UInt64>(0)

    init() {}

    /// Adds `amount` (must not be negative: counters only go up).
    public func inc(_ amount: Double = 1) {
        precondition(amount >= 0, "counters cannot decrease")
        addDouble(bits, amount)
    }

    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

public final class CounterFamily: GatherableFamily {
    public let name: String
    public let help: String
    private let children: Children<Counter>

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        children = Children(labelNames: labelNames)
    }

    public func labels(_ values: String...) -> Counter { children.child(values) { Counter() } }

    /// The child without labels, for families declared with none.
    public func inc(_ amount: Double = 1) { labels().inc(amount) }

    func snapshot() -> MetricFamilySnapshot {
        MetricFamilySnapshot(name: name, help: help, kind: .counter,
                             samples: children.all().map { .init(labels: $0.labels, value: $0.child.value) })
    }
}

/// A value that goes up and down.
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0)

    init() {}

    public func set(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }
    public func inc(_ amount: Double = 1) { addDouble(bits, amount) }
    public func dec(_ amount: Double = 1) { addDouble(bits, -amount) }
    public var value: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}

public final class GaugeFamily: GatherableFamily {
    public let name: String
    public let help: String
    private let children: Children<Gauge>

    init(name: String, help: String, labelNames: [String]) {
        self.name = name
        self.help = help
        children = Children(labelNames: labelNames)
    }

    public func labels(_ values: String...) -> Gauge { children.child(values) { Gauge() } }
    public func set(_ value: Double) { labels().set(value) }

    func snapshot() -> MetricFamilySnapshot {
        MetricFamilySnapshot(name: name, help: help, kind: .gauge,
                             samples: children.all().map { .init(labels: $0.labels, value: $0.child.value) })
    }
}

/// Observations counted into cumulative buckets, with their sum and count.
public final class Histogram: Sendable {
    let upperBounds: [Double]
    private struct State { var counts: [UInt64]; var sum: Double = 0; var count: UInt64 = 0 }
    private let state: Mutex<State>

    init(upperBounds: [Double]) {
        self.upperBounds = upperBounds
        state = Mutex(State(counts: Array(repeating: 0, count: upperBounds.count)))
    }

    public func observe(_ value: Double) {
        // Buckets are few; a linear scan beats a binary search at these sizes.
        let i = upperBounds.firstIndex { value <= $0 } ?? upperBounds.count
        state.withLock { s in
            if i < s.counts.count { s.counts[i] += 1 }
            s.sum += value
            s.count += 1
        }
    }

    /// Observes the seconds elapsed since `start` (a `ContinuousClock` instant).
    public func observeDuration(since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        observe(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
    }

    func read() -> (cumulative: [UInt64], sum: Double, count: UInt64) {
        state.withLock { s in
            var running: UInt64 = 0
            return (s.counts.map { running += $0; return running }, s.sum, s.count)
        }
    }
}

public final class HistogramFamily: GatherableFamily {
    /// Prometheus client libraries' defaults, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// For fast operations such as fsync: 100 µs to 10 s.
    public static let latencyBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1, 0.25, 0.5, 1, 2.5, 10]

    public let name: String
    public let help: String
    let buckets: [Double]
    private let children: Children<Histogram>

    init(name: String, help: String, labelNames: [String], buckets: [Double]) {
        precondition(!labelNames.contains("le"), "\"le\" is reserved for histogram buckets")
        self.name = name
        self.help = help
        self.buckets = buckets.filter { $0.isFinite }.sorted()
        children = Children(labelNames: labelNames)
    }

    public func labels(_ values: String...) -> Histogram { children.child(values) { Histogram(upperBounds: buckets) } }
    public func observe(_ value: Double) { labels().observe(value) }

    func snapshot() -> MetricFamilySnapshot {
        var samples: [MetricFamilySnapshot.Sample] = []
        for (labels, h) in children.all() {
            let (cumulative, sum, count) = h.read()
            for (bound, c) in zip(h.upperBounds, cumulative) {
                samples.append(.init(suffix: "_bucket", labels: labels + [Label(name: "le", value: formatBucketBound(bound))],
                                     value: Double(c)))
            }
            samples.append(.init(suffix: "_bucket", labels: labels + [Label(name: "le", value: "+Inf")], value: Double(count)))
            samples.append(.init(suffix: "_sum", labels: labels, value: sum))
            samples.append(.init(suffix: "_count", labels: labels, value: Double(count)))
        }
        return MetricFamilySnapshot(name: name, help: help, kind: .histogram, samples: samples)
    }
}

/// A bucket bound as Prometheus client libraries print it (`0.005`, `1`, `2.5`).
func formatBucketBound(_ v: Double) -> String {
    if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
    return v.description
}

private func addDouble(_ bits: borrowing Atomic<UInt64>, _ amount: Double) {
    var old = bits.load(ordering: .relaxed)
    while true {
        let new = (Double(bitPattern: old) + amount).bitPattern
        let (exchanged, current) = bits.compareExchange(expected: old, desired: new, ordering: .relaxed)
        if exchanged { return }
        old = current
    }
}
