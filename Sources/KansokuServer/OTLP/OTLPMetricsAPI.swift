import Hummingbird
import KansokuCore
import KansokuIngest
import KansokuMetricStore
import Logging

/// `/api/v1/otlp/v1/metrics`: OpenTelemetry metrics (protobuf or JSON, optionally gzip),
/// translated as Prometheus 3 translates them (`OTLPMetricTranslation`). Delta sums and
/// histograms are refused with a 400 naming them; the rest of the request is stored.
struct OTLPMetricsAPI: Sendable {
    let store: MetricStore
    let settings: ServerSettings
    let logger: Logger

    func register(on router: Router<some RequestContext>) {
        router.post("/api/v1/otlp/v1/metrics") { request, _ in
            var request = request
            return try await export(&request)
        }
    }

    func export(_ request: inout Request) async throws -> Response {
        let format = try OTLPFormat(request)
        let bytes = try await RequestBody.read(&request, settings: settings)
        let decoded = try format.decode(bytes, protobuf: OTLPProtobuf.decodeMetrics, json: OTLPJSON.decodeMetrics)
        let translation = OTLPMetricTranslation(decoded)
        // With tenancy on, every series is stored under the request's tenant (`MetricTenancy`).
        let owner = settings.tenancy ? tenant(of: request, tenancy: true) : nil
        let result: MetricAppendResult
        do {
            result = try await store.append(translation.samples.map { s in
                (owner.map { MetricTenancy.labels(s.labels, tenant: $0) } ?? s.labels, s.timestamp, s.value)
            })
        } catch {
            logger.error("OTLP metrics append failed", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, .internal, "\(error)")
        }
        if let first = translation.refused.first {
            let more = translation.refused.count > 1 ? " (and \(translation.refused.count - 1) more)" : ""
            throw APIError.badRequest(first + more)
        }
        let rejected = result.outOfOrder + result.duplicate + result.outOfBounds
        if rejected > 0 {
            throw APIError.badRequest("\(rejected) of \(translation.samples.count) samples rejected: "
                + "\(result.outOfOrder) out of order, \(result.duplicate) duplicate, \(result.outOfBounds) out of bounds")
        }
        return format.success
    }
}
