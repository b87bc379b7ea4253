import Hummingbird
import KansokuCore
import KansokuLogStore

/// `/loki/api/v1/index/volume` and `/index/volume_range`: bytes of log lines per label set,
/// answered from block metadata without decompressing anything. Streams are grouped by the
/// label names of the selector (or `targetLabels`); `aggregateBy=labels` groups by label
/// name alone, each series carrying that name with an empty value, as Loki does.
extension LokiAPI {
    func registerVolume(on router: Router<some RequestContext>) {
        let limit = settings.maxRequestBytes
        let tenancy = settings.tenancy
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/loki/api/v1/index/volume", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try volume(p, tenant: tenant(of: request, tenancy: tenancy), range: false)
            }
            router.on("/loki/api/v1/index/volume_range", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try volume(p, tenant: tenant(of: request, tenancy: tenancy), range: true)
            }
        }
    }

    func volume(_ p: RequestParameters, tenant: String, range: Bool) throws -> Response {
        let (from, through) = try timeRange(p, defaultLookback: 3_600_000_000_000)
        let matchers = try selectorMatchers(try p.required("query"))
        let seriesLimit = try p.int("limit", default: 100)
        let byLabels: Bool
        switch p["aggregateBy"]?.lowercased() ?? "series" {
        case "series": byLabels = false
        case "labels": byLabels = true
        case let other: throw APIError.badRequest("invalid aggregateBy \"\(other)\": expected series or labels")
        }
        var targets: [String] = []
        for name in (p["targetLabels"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                     ?? matchers.map(\.name)) where !name.isEmpty && !targets.contains(name) {
            targets.append(name)
        }
        let span = max(1, through - from)
        let step = range ? try p.duration("step")?.nanoseconds ?? max(1_000_000_000, span / 250) : span
        guard step > 0 else { throw APIError.badRequest("zero or negative query resolution step widths are not accepted. Try a positive integer") }
        guard span / step <= Int64(settings.maxPointsPerSeries) else {
            throw APIError.badRequest("exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter")
        }

        // Bytes per group and step; a block's bytes are spread over the steps it overlaps.
        var volumes: [Labels: [Int64: Double]] = [:]
        var stats = QueryStatsSummary()
        for info in store.streams(tenant: tenant, matchers: matchers, from: from, through: through) {
            stats.streamsMatched += 1
            let keys: [Labels] = byLabels
                ? targets.filter { info.labels[$0] != nil }.map { Labels([$0: ""]) }
                : [Labels(Dictionary(uniqueKeysWithValues: targets.compactMap { n in info.labels[n].map { (n, $0) } }))]
            guard !keys.isEmpty else { continue }
            for b in store.blocks(tenant: tenant, stream: info.id, from: from, through: through) {
                stats.chunksRef += 1
                let lo = max(b.minTime, from), hi = min(b.maxTime, through)
                let width = Double(max(1, b.maxTime - b.minTime + 1))
                var bucket = range ? from + (lo - from) / step * step : from
                while bucket <= hi {
                    let overlap = range ? Double(min(hi, bucket + step - 1) - max(lo, bucket) + 1) : width
                    let share = Double(b.rawSize) * min(1, overlap / width)
                    for k in keys { volumes[k, default: [:]][bucket, default: 0] += share }
                    bucket += step
                }
            }
        }
        typealias Ranked = (labels: Labels, steps: [Int64: Double], total: Double)
        let unsorted: [Ranked] = volumes.map { labels, steps in (labels, steps, steps.values.reduce(0, +)) }
        let ranked = unsorted.sorted { (a: Ranked, b: Ranked) -> Bool in
            a.total != b.total ? a.total > b.total : a.labels.description < b.labels.description
        }.prefix(seriesLimit)

        return .json(successEnvelope { w in
            w.beginObject()
            w.field("resultType", range ? "matrix" : "vector")
            w.key("result")
            w.beginArray()
            for (labels, steps, total) in ranked {
                w.beginObject()
                w.key("metric")
                w.labels(labels)
                if range {
                    w.key("values")
                    w.beginArray()
                    // A step's point is stamped with its end, as range query points are.
                    for (bucket, bytes) in steps.sorted(by: { $0.key < $1.key }) {
                        w.beginArray()
                        w.raw(formatUnixSeconds(millis: min(bucket + step, through) / 1_000_000))
                        w.string(String(Int64(bytes.rounded())))
                        w.endArray()
                    }
                    w.endArray()
                } else {
                    w.key("value")
                    w.beginArray()
                    w.raw(formatUnixSeconds(millis: through / 1_000_000))
                    w.string(String(Int64(total.rounded())))
                    w.endArray()
                }
                w.endObject()
            }
            w.endArray()
            // Loki writes its (index-only) query statistics here too.
            w.key("stats")
            w.queryStats(stats)
            w.endObject()
        })
    }
}
