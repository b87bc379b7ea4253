import KansokuCore
import KansokuLogStore
import Testing

@testable import KansokuIngest

@Suite struct OTLPMetricNameTests {
    func gauge(_ name: String, _ unit: String) -> OTLPMetric { OTLPMetric(name: name, unit: unit, data: .gauge([])) }
    func counter(_ name: String, _ unit: String) -> OTLPMetric {
        OTLPMetric(name: name, unit: unit, data: .sum([], temporality: .cumulative, monotonic: true))
    }

    /// Expected names from Prometheus's own tests (`otlptranslator/prometheus/metric_name_builder_test.go`).
    @Test func namesAsPrometheusBuildsThem() {
        let cases: [(OTLPMetric, String)] = [
            (gauge("system.filesystem.usage", "By"), "system_filesystem_usage_bytes"),
            (counter("system.io", "By"), "system_io_bytes_total"),
            (counter("network_transmitted_bytes_total", "By"), "network_transmitted_bytes_total"),
            (gauge("\t system.filesystem.usage       ", "  By\t"), "system_filesystem_usage_bytes"),
            (gauge("system.network.dropped", "{packets}"), "system_network_dropped"),
            (gauge("system.network.dropped", "nonstandard:_1"), "system_network_dropped_nonstandard:_1"),
            (counter("system.network.dropped", "{packets}"), "system_network_dropped_total"),
            (gauge("system.network.packets.dropped", "packets"), "system_network_packets_dropped"),
            (counter("system.network.packets", "packets"), "system_network_packets_total"),
            (gauge("hw.gpu.memory.utilization", "1"), "hw_gpu_memory_utilization_ratio"),
            (gauge("hw.fan.speed_ratio", "1"), "hw_fan_speed_ratio"),
            (counter("objects", "1"), "objects_total"),
            (gauge("hw.cpu.speed_limit", "Hz"), "hw_cpu_speed_limit_hertz"),
            (gauge("broken.metric.speed", "km/h"), "broken_metric_speed_km_per_hour"),
            (gauge("astro.light.speed_limit", "m/s"), "astro_light_speed_limit_meters_per_second"),
            (gauge("system.network.dropped", "non/standard:_1"), "system_network_dropped_non_per_standard:_1"),
            (gauge("broken.metric.speed", "km/°"), "broken_metric_speed_km"),
            (gauge("broken.metric.success_ratio", "%"), "broken_metric_success_ratio_percent"),
            (gauge("test.metric.spaces", "   \t  "), "test_metric_spaces"),
            (gauge("active_directory.ds.replication.object.rate", "{objects}/s"), "active_directory_ds_replication_object_rate_per_second"),
            (counter("system.disk.operation_time", "s"), "system_disk_operation_time_seconds_total"),
            (gauge("system.cpu.load_average.15m", "1"), "system_cpu_load_average_15m_ratio"),
            (gauge("mongodbatlas.process.oplog.rate", "GiBy/h"), "mongodbatlas_process_oplog_rate_gibibytes_per_hour"),
            (gauge("mongodbatlas.process.db.query_targeting.scanned_per_returned", "{scanned}/{returned}"),
             "mongodbatlas_process_db_query_targeting_scanned_per_returned"),
            (gauge("3.14 digits", ""), "_3_14_digits"),
            (gauge("envoy__rule_engine_zlib_buf_error", ""), "envoy_rule_engine_zlib_buf_error"),
            (counter(":foo::bar", ""), ":foo::bar_total"),
            (counter("system.io", "foo/bar"), "system_io_foo_per_bar_total"),
            (counter("metric_with_字符_foreign_characters", ""), "metric_with_foreign_characters_total"),
        ]
        for (metric, want) in cases {
            #expect(OTLPMetricTranslation.metricName(metric) == want, "\(metric.name) [\(metric.unit)]")
        }
    }

    @Test func labelNamesAsPrometheusNormalizesThem() {
        #expect(OTLPLabelName.normalize("service.instance.id") == "service_instance_id")
        #expect(OTLPLabelName.normalize("0abc") == "key_0abc")
        #expect(OTLPLabelName.normalize("_abc") == "key_abc")
        #expect(OTLPLabelName.normalize("__abc") == "__abc")
        #expect(OTLPLabelName.normalize("http.status-code") == "http_status_code")
    }
}

@Suite struct OTLPMappingTests {
    static let resource: [OTLPAttribute] = [
        .init(key: "service.name", value: .string("api")),
        .init(key: "service.instance.id", value: .string("api-1")),
        .init(key: "k8s.pod.name", value: .string("api-7f")),
        .init(key: "host.name", value: .string("node-3")),
        .init(key: "process.pid", value: .int(42)),
    ]

    @Test func logsFollowLokisDefaultMapping() {
        var record = OTLPLogRecord()
        record.timeUnixNano = 1_700_000_000_000_000_001
        record.observedTimeUnixNano = 1_700_000_000_000_000_009
        record.severityNumber = 13
        record.severityText = "WARN"
        record.body = .string("disk almost full")
        record.attributes = [.init(key: "disk", value: .string("/var")), .init(key: "http", value: .kvlist([.init(key: "status", value: .int(507))]))]
        record.traceID = Array(1...16)
        record.spanID = Array(1...8)
        let logs = OTLPLogs(resources: [.init(resource: Self.resource, scopes: [.init(scope: OTLPScope(name: "app", version: "1.2"), records: [record])])])
        let batches = OTLPLogMapping.batches(logs, tenant: "t", now: 5)
        #expect(batches.count == 1)
        #expect(batches.first?.labels == Labels(["service_name": "api", "service_instance_id": "api-1", "k8s_pod_name": "api-7f"]))
        let entry = batches.first?.entries.first
        #expect(entry?.timestamp == 1_700_000_000_000_000_001)
        #expect(entry.map { String(decoding: $0.line, as: UTF8.self) } == "disk almost full")
        #expect(entry?.metadata == Labels([
            "disk": "/var", "http_status": "507", "observed_timestamp": "1700000000000000009", "severity_number": "13",
            "severity_text": "WARN", "trace_id": "0102030405060708090a0b0c0d0e0f10", "span_id": "0102030405060708",
            "host_name": "node-3", "process_pid": "42", "scope_name": "app", "scope_version": "1.2", "detected_level": "warn",
        ]))
    }

    @Test func aMissingServiceNameIsDiscoveredOrUnknown() {
        let withPod = OTLPLogs(resources: [.init(resource: [.init(key: "k8s.container.name", value: .string("web"))],
                                                 scopes: [.init(records: [OTLPLogRecord()])])])
        #expect(OTLPLogMapping.batches(withPod, tenant: "t", now: 1).first?.labels["service_name"] == "web")
        let bare = OTLPLogs(resources: [.init(resource: [], scopes: [.init(records: [OTLPLogRecord()])])])
        let batch = OTLPLogMapping.batches(bare, tenant: "t", now: 7).first
        #expect(batch?.labels == Labels(["service_name": "unknown_service"]))
        #expect(batch?.entries.first?.timestamp == 7)
    }

    @Test func metricsGetJobInstanceTargetInfoAndClassicHistograms() {
        let point = OTLPHistogramPoint(attributes: [.init(key: "route", value: .string("/x"))], timeUnixNano: 2_000_000_000,
                                       count: 6, sum: 12.5, bucketCounts: [1, 2, 3], explicitBounds: [0.5, 1])
        let request = OTLPMetrics(resources: [.init(resource: Self.resource + [.init(key: "service.namespace", value: .string("shop"))], scopes: [
            .init(metrics: [
                OTLPMetric(name: "latency", unit: "s", data: .histogram([point], temporality: .cumulative)),
                OTLPMetric(name: "jobs", unit: "", data: .sum([OTLPNumberPoint(timeUnixNano: 2_000_000_000, value: 3)], temporality: .delta, monotonic: true)),
            ]),
        ])])
        let t = OTLPMetricTranslation(request)
        let got = Dictionary(t.samples.map { ($0.labels, $0.value) }, uniquingKeysWith: { $1 })
        func series(_ name: String, _ extra: [String: String] = [:]) -> Labels {
            Labels(["__name__": name, "job": "shop/api", "instance": "api-1", "route": "/x"].merging(extra) { $1 })
        }
        #expect(got[series("latency_seconds_sum")] == 12.5)
        #expect(got[series("latency_seconds_count")] == 6)
        #expect(got[series("latency_seconds_bucket", ["le": "0.5"])] == 1)
        #expect(got[series("latency_seconds_bucket", ["le": "1"])] == 3)
        #expect(got[series("latency_seconds_bucket", ["le": "+Inf"])] == 6)
        let info = Labels(["__name__": "target_info", "job": "shop/api", "instance": "api-1", "k8s_pod_name": "api-7f",
                           "host_name": "node-3", "process_pid": "42"])
        #expect(got[info] == 1)
        #expect(t.samples.allSatisfy { $0.timestamp == 2000 })
        #expect(t.samples.count == 6)
        #expect(t.refused == [#"invalid temporality and type combination for metric "jobs": only cumulative temporality is accepted"#])
    }
}

/// Fuzz finding `Fuzz/Crashes/push/otlp-target-info-span-*`: `target_info` fills the span of a
/// request's points, so a point at time 0 beside one at now asked for 11 million samples.
@Suite struct OTLPTargetInfoBoundTests {
    @Test func aRequestSpanningDecadesGetsABoundedTargetInfo() {
        let now: UInt64 = 1_700_000_000_000_000_000
        let resource: [OTLPAttribute] = [.init(key: "service.name", value: .string("api")), .init(key: "region", value: .string("eu"))]
        let points = [OTLPNumberPoint(timeUnixNano: 1_000_000, value: 1), OTLPNumberPoint(timeUnixNano: now, value: 1)]
        let request = OTLPMetrics(resources: [.init(resource: resource, scopes: [.init(metrics: [OTLPMetric(name: "up", unit: "", data: .gauge(points))])])])
        let info = OTLPMetricTranslation(request).samples.filter { $0.labels["__name__"] == "target_info" }
        #expect(info.count == 1001)
        #expect(info.last?.timestamp == 1_700_000_000_000)
        // 1,000 samples 150 s apart before the newest point, then the newest point's own.
        #expect(info.first?.timestamp == Int64(1_699_850_000_000))
        #expect(zip(info, info.dropFirst()).allSatisfy { $1.timestamp - $0.timestamp == 150_000 })
    }
}

@Suite struct OTLPDecodingTests {
    /// The same request written as protobuf (by hand, field by field) and as OTLP/JSON.
    @Test func protobufAndJSONDecodeAlike() throws {
        var kv = ProtoWriter()
        kv.stringField(1, "service.name")
        kv.messageField(2) { $0.stringField(1, "api") }
        var record = ProtoWriter()
        record.tag(1, .fixed64); record.bytes += withUnsafeBytes(of: UInt64(1_700_000_000_000_000_000).littleEndian, Array.init)
        record.varintField(2, 17)
        record.stringField(3, "ERROR")
        record.messageField(5) { $0.stringField(1, "boom") }
        record.messageField(6) { a in
            a.stringField(1, "n")
            a.messageField(2) { $0.varintField(3, UInt64(bitPattern: -4)) }
        }
        record.bytesField(9, Array(1...16))
        var body = ProtoWriter()
        body.messageField(1) { rl in
            rl.messageField(1) { $0.bytesField(1, kv.bytes) }
            rl.messageField(2) { sl in
                sl.messageField(1) { $0.stringField(1, "lib") }
                sl.bytesField(2, record.bytes)
            }
        }
        let fromProto = try body.bytes.withUnsafeBytes { try OTLPProtobuf.decodeLogs($0) }
        let json = #"""
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
          "scopeLogs":[{"scope":{"name":"lib"},"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":"SEVERITY_NUMBER_ERROR",
          "severity_text":"ERROR","body":{"stringValue":"boom"},"attributes":[{"key":"n","value":{"intValue":"-4"}}],
          "traceId":"0102030405060708090A0B0C0D0E0F10","unknownField":[1,2,{"x":null}]}]}]}]}
        """#
        let fromJSON = try Array(json.utf8).withUnsafeBytes { try OTLPJSON.decodeLogs($0) }
        let a = OTLPLogMapping.batches(fromProto, tenant: "t", now: 0)
        let b = OTLPLogMapping.batches(fromJSON, tenant: "t", now: 0)
        #expect(a.count == 1)
        #expect(a.first?.labels == b.first?.labels)
        #expect(a.first?.entries == b.first?.entries)
        #expect(a.first?.entries.first?.metadata["n"] == "-4")
        #expect(a.first?.entries.first?.metadata["detected_level"] == "error")
    }

    @Test func badBodiesAreRefusedWithWhere() {
        let truncated: [UInt8] = [0x0A, 0x05, 0x0A]
        #expect(throws: OTLPDecodeError.self) { try truncated.withUnsafeBytes { try OTLPProtobuf.decodeLogs($0) } }
        let wrongShape = Array(#"{"resourceLogs":{"x":1}}"#.utf8)
        #expect(throws: OTLPDecodeError.shape(path: "body.resourceLogs", expected: "an array")) {
            try wrongShape.withUnsafeBytes { try OTLPJSON.decodeLogs($0) }
        }
        // Values nested past the bound are refused instead of recursing on.
        let deep = Array(("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":" + String(repeating: "{\"arrayValue\":{\"values\":[", count: 40)
            + String(repeating: "]}}", count: 40) + "}]}]}]}").utf8)
        #expect(throws: OTLPDecodeError.tooDeep(limit: 32)) { try deep.withUnsafeBytes { try OTLPJSON.decodeLogs($0) } }
    }
}
