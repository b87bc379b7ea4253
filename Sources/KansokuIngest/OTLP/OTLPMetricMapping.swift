public import KansokuCore

/// One float sample of a translated OTLP metric.
public struct OTLPSample: Sendable, Hashable {
    public var labels: Labels
    /// Unix milliseconds.
    public var timestamp: Int64
    public var value: Double
}

/// OTLP metrics as Prometheus 3 stores them (`otlptranslator`, translation strategy
/// `UnderscoreEscapingWithSuffixes`): names get unit suffixes and `_total` for counters,
/// `service.namespace`/`service.name` become `job` and `service.instance.id` `instance`,
/// the other resource attributes go to `target_info`, and histograms become classic
/// `_bucket`/`_sum`/`_count` series. Only cumulative sums and histograms are accepted, as in
/// Prometheus without delta support; metrics it cannot store are named in `refused`.
public struct OTLPMetricTranslation: Sendable {
    public var samples: [OTLPSample] = []
    /// Why each refused metric was refused, in Prometheus's words.
    public var refused: [String] = []
    /// Data points read (every kind), for the self-metrics.
    public var points = 0

    /// The staleness marker Prometheus writes for points flagged "no recorded value".
    public static let staleNaN = Double(bitPattern: 0x7ff0_0000_0000_0002)
    /// Prometheus's default lookback delta; `target_info` gets a sample every half of it.
    static let lookbackMillis: Int64 = 5 * 60 * 1000
    /// The most `target_info` samples a resource gets per request (about 41 hours of them). A
    /// request whose points span more (one point at time 0 beside one at now would ask for 11
    /// million, 400 MB) gets them over its newest span only.
    static let maxTargetInfoSamples: Int64 = 1000

    public init(_ request: OTLPMetrics) {
        for resource in request.resources { translate(resource) }
    }

    mutating func translate(_ resource: OTLPMetrics.ResourceMetrics) {
        let attrs = resource.resource
        func attr(_ key: String) -> String? { attrs.last { $0.key == key }?.value.asString }
        var identity: [Label] = []
        if let service = attr("service.name") {
            identity.append(Label(name: "job", value: attr("service.namespace").map { "\($0)/\(service)" } ?? service))
        }
        if let instance = attr("service.instance.id") { identity.append(Label(name: "instance", value: instance)) }
        var earliest = Int64.max, latest = Int64.min
        for scope in resource.scopes {
            for metric in scope.metrics {
                let before = samples.count
                translate(metric, identity: identity)
                for s in samples[before...] {
                    earliest = min(earliest, s.timestamp)
                    latest = max(latest, s.timestamp)
                }
            }
        }
        addTargetInfo(attrs, identity: identity, earliest: earliest, latest: latest)
    }

    mutating func translate(_ metric: OTLPMetric, identity: [Label]) {
        let name = Self.metricName(metric)
        switch metric.data {
        case .none:
            return
        case .gauge(let points):
            self.points += points.count
            for p in points { add(name, p.attributes, identity, p.timeUnixNano, p.value, p.flags) }
        case .sum(let points, let temporality, _):
            self.points += points.count
            guard temporality == .cumulative else { return refuse(metric) }
            for p in points { add(name, p.attributes, identity, p.timeUnixNano, p.value, p.flags) }
        case .histogram(let points, let temporality):
            self.points += points.count
            guard temporality == .cumulative else { return refuse(metric) }
            for p in points {
                if let sum = p.sum { add(name + "_sum", p.attributes, identity, p.timeUnixNano, sum, p.flags) }
                add(name + "_count", p.attributes, identity, p.timeUnixNano, Double(p.count), p.flags)
                var cumulative: UInt64 = 0
                for (i, bound) in p.explicitBounds.enumerated() where i < p.bucketCounts.count {
                    cumulative &+= p.bucketCounts[i]
                    add(name + "_bucket", p.attributes, identity, p.timeUnixNano, Double(cumulative), p.flags,
                        extra: Label(name: "le", value: Self.formatBound(bound)))
                }
                add(name + "_bucket", p.attributes, identity, p.timeUnixNano, Double(p.count), p.flags,
                    extra: Label(name: "le", value: "+Inf"))
            }
        case .exponentialHistogram(let temporality):
            guard temporality == .cumulative else { return refuse(metric) }
            refused.append("exponential histogram \"\(metric.name)\" cannot be stored: native histograms are not supported")
        case .summary(let points):
            self.points += points.count
            for p in points {
                add(name + "_sum", p.attributes, identity, p.timeUnixNano, p.sum, p.flags)
                add(name + "_count", p.attributes, identity, p.timeUnixNano, Double(p.count), p.flags)
                for q in p.quantiles {
                    add(name, p.attributes, identity, p.timeUnixNano, q.value, p.flags,
                        extra: Label(name: "quantile", value: Self.formatBound(q.quantile)))
                }
            }
        }
    }

    mutating func refuse(_ metric: OTLPMetric) {
        refused.append("invalid temporality and type combination for metric \"\(metric.name)\": only cumulative temporality is accepted")
    }

    mutating func add(_ name: String, _ attributes: [OTLPAttribute], _ identity: [Label], _ time: UInt64, _ value: Double,
                      _ flags: UInt32, extra: Label? = nil) {
        var labels = Self.labels(attributes, identity: identity)
        if let extra { labels.append(extra) }
        labels.append(Label(name: "__name__", value: name))
        let v = flags & 1 != 0 ? Self.staleNaN : value
        samples.append(OTLPSample(labels: Labels(labels), timestamp: Int64(clamping: time / 1_000_000), value: v))
    }

    /// Point attributes as labels (sorted by key; keys that normalize alike are joined with
    /// `;`), then `job` and `instance`, which win over attributes of the same name.
    static func labels(_ attributes: [OTLPAttribute], identity: [Label], ignoring: Set<String> = []) -> [Label] {
        var names: [String] = []
        var values: [String: String] = [:]
        for kv in attributes.sorted(by: { $0.key < $1.key }) where !ignoring.contains(kv.key) {
            let name = OTLPLabelName.normalize(kv.key)
            if let existing = values[name] {
                values[name] = existing + ";" + kv.value.asString
            } else {
                names.append(name)
                values[name] = kv.value.asString
            }
        }
        for l in identity {
            if values[l.name] == nil { names.append(l.name) }
            values[l.name] = l.value
        }
        return names.map { Label(name: $0, value: values[$0] ?? "") }
    }

    /// `target_info`: the resource's non-identifying attributes, with `job`/`instance`, from
    /// the first to the last sample of the request, every half lookback delta and at the end.
    mutating func addTargetInfo(_ attrs: [OTLPAttribute], identity: [Label], earliest: Int64, latest: Int64) {
        let identifying: Set<String> = ["service.name", "service.namespace", "service.instance.id"]
        guard earliest <= latest, attrs.contains(where: { !identifying.contains($0.key) }), !identity.isEmpty else { return }
        var labels = Self.labels(attrs, identity: identity, ignoring: identifying)
        labels.append(Label(name: "__name__", value: "target_info"))
        let set = Labels(labels)
        let step = Self.lookbackMillis / 2
        let (newestStart, overflow) = latest.subtractingReportingOverflow(step * Self.maxTargetInfoSamples)
        var t = overflow ? earliest : max(earliest, newestStart)
        while t < latest {
            samples.append(OTLPSample(labels: set, timestamp: t, value: 1))
            t += step
        }
        if samples.last.map({ $0.labels != set || $0.timestamp < latest }) ?? true {
            samples.append(OTLPSample(labels: set, timestamp: latest, value: 1))
        }
    }

    static func formatBound(_ b: Double) -> String {
        if b.isInfinite { return b > 0 ? "+Inf" : "-Inf" }
        if b.isNaN { return "NaN" }
        return OTLPValue.format(b)
    }
}
