import Foundation
import KansokuTestSupport
import Testing

/// The real OpenTelemetry Python SDK exporting logs and metrics over OTLP/HTTP to the real
/// binary, read back with LogQL and PromQL: Loki's mapping for logs, Prometheus's names for
/// metrics, exact counts and values.
@Suite(.serialized, .requires(TestPaths.kansoku, .python(["opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http"],
                                                           install: "pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http")))
struct OpenTelemetryEndToEndTests {
    static let records = 120

    /// Logs through `LoggingHandler` (gzip protobuf) inside a span; a counter, a gauge and a
    /// histogram through a `PeriodicExportingMetricReader` (protobuf); then a JSON log and a
    /// JSON delta sum by hand. Prints what the server must hold.
    static let script = #"""
    import json, logging, sys, time, urllib.request
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    base, n = sys.argv[1], int(sys.argv[2])
    resource = Resource.create({"service.name": "checkout", "service.namespace": "shop", "service.instance.id": "checkout-1",
                                "deployment.environment": "test", "host.name": "box-7"})

    logs = LoggerProvider(resource=resource)
    logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=base + "/otlp/v1/logs", compression=Compression.Gzip)))
    log = logging.getLogger("shop.checkout")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=logs))
    tracer = TracerProvider(resource=resource).get_tracer("checkout")
    with tracer.start_as_current_span("pay") as span:
        ctx = span.get_span_context()
        for i in range(n):
            log.log([logging.INFO, logging.WARNING, logging.ERROR][i % 3], "order %d paid", i, extra={"order_id": str(i)})
    logs.force_flush()
    logs.shutdown()

    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=base + "/api/v1/otlp/v1/metrics"), export_interval_millis=3600000)
    meters = MeterProvider(resource=resource, metric_readers=[reader])
    meter = meters.get_meter("checkout")
    orders = meter.create_counter("orders", unit="{order}")
    queue = meter.create_gauge("queue.size", unit="By")
    latency = meter.create_histogram("request.duration", unit="s")
    latency_sum = 0.0
    for i in range(n):
        orders.add(i % 5 + 1, {"method": "card" if i % 2 else "cash"})
        latency.record(i / 10, {"route": "/pay"})
        latency_sum += i / 10
        queue.set(i * 3)
    meters.force_flush()
    meters.shutdown()

    def post(path, body):
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    json_log = post("/otlp/v1/logs", {"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-client"}}]},
        "scopeLogs": [{"scope": {"name": "manual"}, "logRecords": [{"timeUnixNano": str(time.time_ns()), "severityNumber": 17,
        "body": {"stringValue": "json record"}, "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
        "attributes": [{"key": "attempt", "value": {"intValue": "3"}}]}]}]}]})
    delta = post("/api/v1/otlp/v1/metrics", {"resourceMetrics": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "deltas"}}]},
        "scopeMetrics": [{"metrics": [{"name": "jobs", "sum": {"aggregationTemporality": 1, "isMonotonic": True,
        "dataPoints": [{"asInt": "4", "timeUnixNano": str(time.time_ns())}]}}]}]}]})
    print(json.dumps({"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x"),
                      "latency_sum": latency_sum, "json_log": json_log, "delta": delta}))
    """#

    /// Every entry of a LogQL log query: (labels, line).
    static func logQuery(_ server: ServerProcess, _ q: String) throws -> [([String: String], String)] {
        let r = try server.client.get("/loki/api/v1/query_range?query=\(urlEncode(q))&since=1h&limit=5000&direction=forward")
        #expect(r.status == 200, "\(q): \(r.text)")
        let data = (try r.json() as? [String: Any])?["data"] as? [String: Any]
        let result = (data?["result"] as? [[String: Any]]) ?? []
        return result.flatMap { s in
            ((s["values"] as? [[String]]) ?? []).map { ((s["stream"] as? [String: String]) ?? [:], $0[1]) }
        }
    }

    /// A PromQL instant vector: labels and value of each sample.
    static func promQuery(_ server: ServerProcess, _ q: String) throws -> [([String: String], Double)] {
        let r = try server.client.get("/api/v1/query?query=\(urlEncode(q))")
        #expect(r.status == 200, "\(q): \(r.text)")
        let data = (try r.json() as? [String: Any])?["data"] as? [String: Any]
        return ((data?["result"] as? [[String: Any]]) ?? []).map { s in
            ((s["metric"] as? [String: String]) ?? [:], Double(((s["value"] as? [Any])?[1] as? String) ?? "") ?? .nan)
        }
    }

    @Test func pythonSDKLogsAndMetricsReadBackExactly() throws {
        let bin = try #require(TestPaths.binary)
        let py = try #require(TestPaths.which("python3"))
        let dir = TestPaths.makeTempDir("otel")
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let run = try runCommand(py, ["-c", Self.script, server.addr, String(Self.records)])
        #expect(run.status == 0, "\(run.output)")
        let lastLine = run.output.split(separator: "\n").last.map(String.init) ?? ""
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any], "\(run.output)")
        let traceID = try #require(sent["trace_id"] as? String)
        let spanID = try #require(sent["span_id"] as? String)
        let n = Self.records

        // Logs: resource attributes Loki indexes are stream labels, the rest structured metadata.
        let all = try Self.logQuery(server, #"{service_name="checkout"}"#)
        #expect(all.count == n)
        #expect(Set(all.map(\.1)) == Set((0..<n).map { "order \($0) paid" }))
        let labelNames = try server.client.get("/loki/api/v1/labels?since=1h")
        let indexed = Set(((try labelNames.json() as? [String: Any])?["data"] as? [String]) ?? [])
        #expect(indexed == ["service_name", "service_namespace", "service_instance_id", "deployment_environment"])
        if let first = all.first?.0 {
            #expect(first["service_namespace"] == "shop")
            #expect(first["service_instance_id"] == "checkout-1")
            #expect(first["deployment_environment"] == "test")
            #expect(first["host_name"] == "box-7")
            #expect(first["telemetry_sdk_language"] == "python")
            #expect(first["scope_name"] == "shop.checkout")
            #expect(first["trace_id"] == traceID)
            #expect(first["span_id"] == spanID)
        }
        #expect(all.allSatisfy { $0.0["order_id"].map { "order \($0) paid" } == $0.1 })
        for (level, text, number, residue) in [("info", "INFO", "9", 0), ("warn", "WARN", "13", 1), ("error", "ERROR", "17", 2)] {
            let lines = try Self.logQuery(server, #"{service_name="checkout"} | detected_level="\#(level)""#)
            #expect(lines.count == n / 3, "\(level)")
            #expect(lines.allSatisfy { $0.0["severity_text"] == text && $0.0["severity_number"] == number })
            #expect(Set(lines.map(\.1)) == Set((0..<n).filter { $0 % 3 == residue }.map { "order \($0) paid" }))
        }
        let traced = try Self.logQuery(server, #"{deployment_environment="test"} | trace_id="\#(traceID)""#)
        #expect(traced.count == n)
        let counted = try Self.promQueryLogs(server, #"sum(count_over_time({service_name="checkout"}[1h]))"#)
        #expect(counted == Double(n))

        // The JSON log: stored, with its ids and level.
        #expect((sent["json_log"] as? [Any])?.first as? Int == 200, "\(sent["json_log"] ?? "")")
        let json = try Self.logQuery(server, #"{service_name="json-client"}"#)
        #expect(json.map(\.1) == ["json record"])
        #expect(json.first?.0["trace_id"] == "5b8efff798038103d269b633813fc60c")
        #expect(json.first?.0["span_id"] == "eee19b7ec3c1b174")
        #expect(json.first?.0["detected_level"] == "error")
        #expect(json.first?.0["attempt"] == "3")

        // Metrics: Prometheus's names, job/instance from the service, exact values.
        let card = (0..<n).filter { $0 % 2 == 1 }.reduce(0) { $0 + $1 % 5 + 1 }
        let cash = (0..<n).filter { $0 % 2 == 0 }.reduce(0) { $0 + $1 % 5 + 1 }
        let orders = try Self.promQuery(server, #"orders_total{job="shop/checkout", instance="checkout-1"}"#)
        #expect(Dictionary(uniqueKeysWithValues: orders.map { ($0.0["method"] ?? "", $0.1) }) == ["card": Double(card), "cash": Double(cash)])
        #expect(try Self.promQuery(server, #"queue_size_bytes{job="shop/checkout"}"#).map(\.1) == [Double((n - 1) * 3)])
        #expect(try Self.promQuery(server, #"request_duration_seconds_count{route="/pay"}"#).map(\.1) == [Double(n)])
        #expect(try Self.promQuery(server, #"request_duration_seconds_sum{route="/pay"}"#).map(\.1) == [try #require(sent["latency_sum"] as? Double)])
        let buckets = try Self.promQuery(server, #"request_duration_seconds_bucket{route="/pay"}"#)
        let byBound = Dictionary(uniqueKeysWithValues: buckets.map { ($0.0["le"] ?? "", $0.1) })
        let values = (0..<n).map { Double($0) / 10 }
        for bound in ["0", "5", "10", "25", "10000"] {
            #expect(byBound[bound] == Double(values.filter { $0 <= Double(bound)! }.count), "le=\(bound)")
        }
        #expect(byBound["+Inf"] == Double(n))
        let info = try Self.promQuery(server, #"target_info{job="shop/checkout", instance="checkout-1"}"#)
        #expect(info.count == 1)
        #expect(info.first?.0["deployment_environment"] == "test")
        #expect(info.first?.0["host_name"] == "box-7")
        #expect(info.first?.0["telemetry_sdk_language"] == "python")
        #expect(info.first?.0["service_name"] == nil)

        // Delta temporality is refused by name; nothing of it is stored.
        let delta = sent["delta"] as? [Any]
        #expect(delta?.first as? Int == 400)
        #expect((delta?.last as? String)?.contains(#"invalid temporality and type combination for metric \"jobs\""#) == true,
                "\(delta ?? [])")
        #expect(try Self.promQuery(server, #"{job="deltas"}"#).isEmpty)
        print("OpenTelemetry: \(n) log records sent, \(all.count) read back (\(traced.count) with the span's trace_id); "
            + "orders_total card=\(card) cash=\(cash), queue_size_bytes=\((n - 1) * 3), request_duration_seconds_count=\(n), "
            + "\(buckets.count) buckets, target_info 1 series; delta sum refused with 400")
    }

    /// A LogQL metric query's single value.
    static func promQueryLogs(_ server: ServerProcess, _ q: String) throws -> Double? {
        let r = try server.client.get("/loki/api/v1/query?query=\(urlEncode(q))")
        #expect(r.status == 200, "\(q): \(r.text)")
        let data = (try r.json() as? [String: Any])?["data"] as? [String: Any]
        let first = (data?["result"] as? [[String: Any]])?.first
        return Double(((first?["value"] as? [Any])?[1] as? String) ?? "")
    }
}
