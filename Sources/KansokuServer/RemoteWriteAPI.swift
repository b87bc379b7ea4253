import Hummingbird
import KansokuCore
import KansokuIngest
import KansokuMetricStore
import KansokuScrape
import Logging
import Synchronization

/// `POST /api/v1/write`: Prometheus remote write 1.0 into the metric store.
///
/// Answers as Prometheus's receiver does, so senders retry exactly what was not stored:
/// 204 once every sample is durable; 400 for a malformed body or for samples the store
/// refused (out of order, duplicate, out of bounds; the others are stored, and a sender drops
/// a 4xx batch instead of retrying it); 413 for a body past `server.max_request_bytes` (or
/// `max_decompressed_bytes` once inflated); 503 with `Retry-After` when too many samples are
/// already on their way into the store or the WAL refused the write, which senders retry.
struct RemoteWriteAPI: Sendable {
    let store: MetricStore
    let settings: ServerSettings
    let limits: LimitsSettings
    let logger: Logger
    let pressure: RemoteWritePressure

    /// Samples decoded and not yet durable, past which new requests are refused with 503.
    static let maxSamplesInFlight = 4_000_000

    init(store: MetricStore, settings: ServerSettings, limits: LimitsSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.limits = limits
        self.logger = logger
        pressure = RemoteWritePressure(limit: Self.maxSamplesInFlight)
    }

    func register(on router: Router<some RequestContext>) {
        router.post("/api/v1/write") { request, _ in
            var request = request
            return try await write(&request)
        }
    }

    func write(_ request: inout Request) async throws -> Response {
        if let type = request.headers[.contentType]?.lowercased(), type.contains("proto=io.prometheus.write.v2") {
            throw APIError(.unsupportedMediaType, .badData, "remote write 2.0 (\(type)) is not supported: send remote write 1.0 (application/x-protobuf)")
        }
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "", "snappy": break
        case let other?:
            throw APIError(.unsupportedMediaType, .badData, "unsupported Content-Encoding \"\(other)\": remote write bodies are snappy-compressed")
        }
        let body = try await request.collectBody(limit: settings.maxRequestBytes)
        let inflated = settings.maxDecompressedBytes
        let decoded: [RemoteWriteSeries]
        do {
            decoded = try Array(body.readableBytesView).withUnsafeBytes { (b) throws(PushDecodeError) in
                try RemoteWriteCodec.decode(snappyBody: b, maxDecompressedSize: inflated)
            }
        } catch PushDecodeError.snappy(.tooLarge(let n, _)) {
            throw APIError.tooLarge(n, limit: inflated)
        } catch {
            throw APIError.badRequest("\(error)")
        }
        // With tenancy on, every series is stored under the request's tenant (`MetricTenancy`).
        let owner = settings.tenancy ? tenant(of: request, tenancy: true) : nil
        var batch: [(labels: Labels, t: Int64, v: Double)] = []
        var histograms = 0
        for (i, s) in decoded.enumerated() {
            histograms += s.histogramCount
            guard !s.samples.isEmpty else { continue }
            var labels = try validLabels(s.labels, series: i)
            if let owner { labels = MetricTenancy.labels(labels, tenant: owner) }
            for x in s.samples { batch.append((labels, x.t, x.v)) }
        }
        guard pressure.admit(batch.count) else {
            throw RetryableError(message: "too many samples are being written already (\(Self.maxSamplesInFlight) at most); retry later")
        }
        defer { pressure.release(batch.count) }
        let result: MetricAppendResult
        do {
            result = try await store.append(batch)
        } catch {
            logger.error("remote write append failed", metadata: ["error": "\(error)"])
            throw RetryableError(message: "samples not stored: \(error)")
        }
        if result.rejected > 0 {
            var reasons: [String] = []
            if result.outOfOrder > 0 { reasons.append("\(result.outOfOrder) out of order sample(s)") }
            if result.duplicate > 0 { reasons.append("\(result.duplicate) duplicate sample(s) for timestamp") }
            if result.outOfBounds > 0 { reasons.append("\(result.outOfBounds) out of bounds sample(s)") }
            throw APIError.badRequest("\(result.rejected) of \(batch.count) samples rejected: \(reasons.joined(separator: ", "))")
        }
        if histograms > 0 {
            throw APIError.badRequest("\(histograms) native histogram sample(s) rejected: native histograms are not supported; float samples were stored")
        }
        return Response(status: .noContent)
    }

    /// Checks a series' labels as Prometheus's appender does (valid names, a metric name, no
    /// repeated name, sizes within `limits:`) and drops empty values, which mean "no label".
    private func validLabels(_ raw: [Label], series: Int) throws -> Labels {
        var kept = raw.filter { !$0.value.isEmpty }
        kept.sort { $0.name < $1.name }
        for (k, l) in kept.enumerated() {
            guard isValidLabelName(l.name) else { throw APIError.badRequest("series \(series): invalid label name \"\(l.name.prefix(200))\"") }
            if k > 0, kept[k - 1].name == l.name {
                throw APIError.badRequest("series \(series): label name \"\(l.name)\" is repeated")
            }
            guard l.name.utf8.count <= limits.maxLabelNameLength else {
                throw APIError.badRequest("series \(series): label name longer than \(limits.maxLabelNameLength) bytes")
            }
            guard l.value.utf8.count <= limits.maxLabelValueLength else {
                throw APIError.badRequest("series \(series): value of label \(l.name) longer than \(limits.maxLabelValueLength) bytes")
            }
        }
        let labels = Labels(sorted: kept)
        guard let name = labels["__name__"], isValidMetricName(name) else {
            throw APIError.badRequest("series \(series) \(labels): missing or invalid metric name")
        }
        return labels
    }
}

/// Samples accepted by the receiver and not yet durable: the bound behind its 503s.
final class RemoteWritePressure: Sendable {
    private let inFlight = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Reserves room for `n` samples; a request bigger than the whole bound is let through
    /// alone so it is never refused forever.
    func admit(_ n: Int) -> Bool {
        let before = inFlight.add(n, ordering: .relaxed).oldValue
        if before == 0 || before + n <= limit { return true }
        inFlight.subtract(n, ordering: .relaxed)
        return false
    }

    func release(_ n: Int) { inFlight.subtract(n, ordering: .relaxed) }
}

/// A 503 with `Retry-After`, which remote-write senders retry with backoff.
struct RetryableError: HTTPResponseError {
    var message: String
    var status: HTTPResponse.Status { .serviceUnavailable }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var r = try APIError(.serviceUnavailable, .unavailable, message).response(from: request, context: context)
        r.headers[.retryAfter] = "1"
        return r
    }
}
