import Hummingbird
import KansokuCore
import KansokuIngest

extension LokiAPI {
    /// `/otlp/v1/logs`: OpenTelemetry logs (protobuf or JSON, optionally gzip), mapped to
    /// streams as Loki 3 maps them (`OTLPLogMapping`) and stored like a push.
    func registerOTLP(on router: Router<some RequestContext>) {
        let tenancy = settings.tenancy
        router.post("/otlp/v1/logs") { request, _ in
            var request = request
            return try await otlpLogs(&request, tenant: tenant(of: request, tenancy: tenancy))
        }
    }

    func otlpLogs(_ request: inout Request, tenant: String) async throws -> Response {
        let format = try OTLPFormat(request)
        let bytes = try await RequestBody.read(&request, settings: settings)
        let logs = try format.decode(bytes, protobuf: OTLPProtobuf.decodeLogs, json: OTLPJSON.decodeLogs)
        var batches = OTLPLogMapping.batches(logs, tenant: tenant, now: TimeParser.currentNanos())
        try await ingest(&batches, tenant: tenant)
        return format.success
    }
}
