import KansokuCore
public import KansokuLogStore

/// OTLP log records as Loki 3 stores them (its default `otlp_config`): the resource
/// attributes Loki indexes become stream labels (dots as underscores), `service_name` is
/// discovered when absent, every other attribute and the record's fields (severity, trace
/// and span ids, observed time, flags) become structured metadata, the body becomes the line,
/// and `detected_level` comes from the severity number.
public enum OTLPLogMapping {
    /// Loki's `DefaultOTLPResourceAttributesAsIndexLabels`.
    public static let indexedResourceAttributes: Set<String> = [
        "service.name", "service.namespace", "service.instance.id", "deployment.environment",
        "deployment.environment.name", "cloud.region", "cloud.availability_zone", "k8s.cluster.name",
        "k8s.namespace.name", "k8s.pod.name", "k8s.container.name", "container.name", "k8s.replicaset.name",
        "k8s.deployment.name", "k8s.statefulset.name", "k8s.daemonset.name", "k8s.cronjob.name", "k8s.job.name",
    ]

    /// Loki's `discover_service_name` default: labels that name the service when
    /// `service.name` is absent, in order; else `unknown_service`.
    public static let serviceNameSources = [
        "service", "app", "application", "app_name", "name", "app_kubernetes_io_name", "container",
        "container_name", "k8s_container_name", "component", "workload", "job",
    ]

    /// Label names Loki takes as a level already given, so it detects none.
    static let levelLabels: Set<String> = ["level", "LEVEL", "Level", "severity", "SEVERITY", "Severity", "lvl", "LVL", "Lvl"]

    /// The push batches for `logs`; records without a time get `now` (Unix ns).
    public static func batches(_ logs: OTLPLogs, tenant: String, now: Int64) -> [StreamBatch] {
        var order: [Labels] = []
        var byStream: [Labels: [LogEntry]] = [:]
        for resource in logs.resources {
            var index: [Label] = []
            var resourceMetadata: [Label] = []
            var hasServiceName = false
            for kv in resource.resource {
                if indexedResourceAttributes.contains(kv.key) {
                    OTLPLabelName.flatten(kv, into: &index)
                    if kv.key == "service.name", !kv.value.asString.isEmpty { hasServiceName = true }
                } else {
                    OTLPLabelName.flatten(kv, into: &resourceMetadata)
                }
            }
            if !hasServiceName {
                let discovered = serviceNameSources.lazy.compactMap { name in index.first { $0.name == name }?.value }.first
                index.append(Label(name: "service_name", value: discovered ?? "unknown_service"))
            }
            let stream = Labels(index)
            for scopeLogs in resource.scopes {
                let scopeMetadata = self.scopeMetadata(scopeLogs.scope)
                for record in scopeLogs.records {
                    var metadata = recordMetadata(record)
                    metadata += resourceMetadata
                    metadata += scopeMetadata
                    if !stream.contains(where: { levelLabels.contains($0.name) }) && !metadata.contains(where: { levelLabels.contains($0.name) }) {
                        metadata.append(Label(name: "detected_level", value: detectedLevel(record.severityNumber)))
                    }
                    let entry = LogEntry(timestamp: timestamp(record, now: now), line: record.body.asString, metadata: Labels(metadata))
                    if byStream[stream] == nil { order.append(stream) }
                    byStream[stream, default: []].append(entry)
                }
            }
        }
        return order.map { StreamBatch(tenant: tenant, labels: $0, entries: byStream[$0] ?? []) }
    }

    static func scopeMetadata(_ scope: OTLPScope) -> [Label] {
        var out: [Label] = []
        for kv in scope.attributes { OTLPLabelName.flatten(kv, into: &out) }
        if !scope.name.isEmpty { out.append(Label(name: "scope_name", value: scope.name)) }
        if !scope.version.isEmpty { out.append(Label(name: "scope_version", value: scope.version)) }
        if scope.droppedAttributesCount != 0 {
            out.append(Label(name: "scope_dropped_attributes_count", value: String(scope.droppedAttributesCount)))
        }
        return out
    }

    static func recordMetadata(_ r: OTLPLogRecord) -> [Label] {
        var out: [Label] = []
        for kv in r.attributes { OTLPLabelName.flatten(kv, into: &out) }
        if r.timeUnixNano != 0 && r.observedTimeUnixNano != 0 {
            out.append(Label(name: "observed_timestamp", value: String(r.observedTimeUnixNano)))
        }
        if r.severityNumber != 0 { out.append(Label(name: "severity_number", value: String(r.severityNumber))) }
        if !r.severityText.isEmpty { out.append(Label(name: "severity_text", value: r.severityText)) }
        if r.droppedAttributesCount != 0 { out.append(Label(name: "dropped_attributes_count", value: String(r.droppedAttributesCount))) }
        if r.flags != 0 { out.append(Label(name: "flags", value: String(r.flags))) }
        if !r.traceID.isEmpty && r.traceID.contains(where: { $0 != 0 }) { out.append(Label(name: "trace_id", value: r.traceID.lowercaseHex)) }
        if !r.spanID.isEmpty && r.spanID.contains(where: { $0 != 0 }) { out.append(Label(name: "span_id", value: r.spanID.lowercaseHex)) }
        return out
    }

    /// Loki's level for an OTLP severity number (1-4 trace, 5-8 debug, … 21-24 fatal).
    public static func detectedLevel(_ severityNumber: Int) -> String {
        switch severityNumber {
        case 1...4: return "trace"
        case 5...8: return "debug"
        case 9...12: return "info"
        case 13...16: return "warn"
        case 17...20: return "error"
        case 21...24: return "fatal"
        default: return "unknown"
        }
    }

    static func timestamp(_ r: OTLPLogRecord, now: Int64) -> Int64 {
        if r.timeUnixNano != 0 { return Int64(clamping: r.timeUnixNano) }
        if r.observedTimeUnixNano != 0 { return Int64(clamping: r.observedTimeUnixNano) }
        return now
    }
}
