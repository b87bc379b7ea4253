/// Decodes OTLP's protobuf messages (opentelemetry-proto v1) with the push API's wire reader:
/// no generated code, unknown fields skipped, every length checked against the body.
public enum OTLPProtobuf {
    /// `ExportLogsServiceRequest`.
    public static func decodeLogs(_ body: UnsafeRawBufferPointer) throws(OTLPDecodeError) -> OTLPLogs {
        do throws(ProtobufError) {
            var r = ProtoReader(body)
            var out = OTLPLogs()
            while !r.isAtEnd {
                let (field, wire) = try r.readTag()
                guard field == 1 else { try r.skip(wire); continue }
                try r.require(wire, is: .lengthDelimited, field: "resource_logs")
                var sub = try r.readLengthDelimited()
                out.resources.append(try resourceLogs(&sub))
            }
            return out
        } catch { throw .protobuf(error) }
    }

    /// `ExportMetricsServiceRequest`.
    public static func decodeMetrics(_ body: UnsafeRawBufferPointer) throws(OTLPDecodeError) -> OTLPMetrics {
        do throws(ProtobufError) {
            var r = ProtoReader(body)
            var out = OTLPMetrics()
            while !r.isAtEnd {
                let (field, wire) = try r.readTag()
                guard field == 1 else { try r.skip(wire); continue }
                try r.require(wire, is: .lengthDelimited, field: "resource_metrics")
                var sub = try r.readLengthDelimited()
                out.resources.append(try resourceMetrics(&sub))
            }
            return out
        } catch { throw .protobuf(error) }
    }

    // MARK: logs

    static func resourceLogs(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPLogs.ResourceLogs {
        let (resource, scopes) = try resourceGroups(&r, groupField: "scope_logs", itemField: "log_records", item: logRecord)
        return OTLPLogs.ResourceLogs(resource: resource, scopes: scopes.map { OTLPLogs.ScopeLogs(scope: $0.scope, records: $0.items) })
    }

    /// The envelope logs and metrics share: a resource (field 1), then scope groups (field 2),
    /// each a scope (field 1) and its items (field 2).
    static func resourceGroups<Item>(_ r: inout ProtoReader, groupField: String, itemField: String,
                                     item: (inout ProtoReader) throws(ProtobufError) -> Item)
        throws(ProtobufError) -> (resource: [OTLPAttribute], scopes: [(scope: OTLPScope, items: [Item])]) {
        var resource: [OTLPAttribute] = []
        var scopes: [(scope: OTLPScope, items: [Item])] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try r.require(wire, is: .lengthDelimited, field: "resource")
                var sub = try r.readLengthDelimited()
                resource = try self.resource(&sub)
            case 2:
                try r.require(wire, is: .lengthDelimited, field: groupField)
                var sub = try r.readLengthDelimited()
                var group: (scope: OTLPScope, items: [Item]) = (OTLPScope(), [])
                while !sub.isAtEnd {
                    let (f, w) = try sub.readTag()
                    switch f {
                    case 1:
                        try sub.require(w, is: .lengthDelimited, field: "scope")
                        var s = try sub.readLengthDelimited()
                        group.scope = try scope(&s)
                    case 2:
                        try sub.require(w, is: .lengthDelimited, field: itemField)
                        var s = try sub.readLengthDelimited()
                        group.items.append(try item(&s))
                    default: try sub.skip(w)
                    }
                }
                scopes.append(group)
            default: try r.skip(wire)
            }
        }
        return (resource, scopes)
    }

    static func logRecord(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPLogRecord {
        var rec = OTLPLogRecord()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .fixed64): rec.timeUnixNano = try r.readFixed64()
            case (11, .fixed64): rec.observedTimeUnixNano = try r.readFixed64()
            case (2, .varint): rec.severityNumber = Int(truncatingIfNeeded: try r.readVarint())
            case (3, .lengthDelimited): rec.severityText = try r.readString()
            case (5, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                rec.body = try anyValue(&sub, depth: 0)
            case (6, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                rec.attributes.append(try keyValue(&sub, depth: 0))
            case (7, .varint): rec.droppedAttributesCount = UInt32(truncatingIfNeeded: try r.readVarint())
            case (8, .fixed32): rec.flags = try r.readFixed32()
            case (9, .lengthDelimited): rec.traceID = Array(try r.readLengthDelimited().bytes)
            case (10, .lengthDelimited): rec.spanID = Array(try r.readLengthDelimited().bytes)
            case (1, _), (11, _), (2, _), (3, _), (5, _), (6, _), (7, _), (8, _), (9, _), (10, _):
                throw r.error("log record field \(field) has wire type \(wire.rawValue)")
            default: try r.skip(wire)
            }
        }
        return rec
    }

    // MARK: metrics

    static func resourceMetrics(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPMetrics.ResourceMetrics {
        let (resource, scopes) = try resourceGroups(&r, groupField: "scope_metrics", itemField: "metrics", item: metric)
        return OTLPMetrics.ResourceMetrics(resource: resource, scopes: scopes.map { OTLPMetrics.ScopeMetrics(scope: $0.scope, metrics: $0.items) })
    }

    static func metric(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPMetric {
        var m = OTLPMetric()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            guard field <= 11 else { try r.skip(wire); continue }
            switch field {
            case 1: try r.require(wire, is: .lengthDelimited, field: "name"); m.name = try r.readString()
            case 3: try r.require(wire, is: .lengthDelimited, field: "unit"); m.unit = try r.readString()
            case 5, 7, 9, 10, 11:
                try r.require(wire, is: .lengthDelimited, field: "data")
                var sub = try r.readLengthDelimited()
                m.data = try data(&sub, kind: field)
            default: try r.skip(wire)
            }
        }
        return m
    }

    /// Gauge (5), Sum (7), Histogram (9), ExponentialHistogram (10) or Summary (11).
    static func data(_ r: inout ProtoReader, kind: UInt64) throws(ProtobufError) -> OTLPMetric.Data {
        var numbers: [OTLPNumberPoint] = []
        var histograms: [OTLPHistogramPoint] = []
        var summaries: [OTLPSummaryPoint] = []
        var temporality = OTLPTemporality.unspecified
        var monotonic = false
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                switch kind {
                case 5, 7: numbers.append(try numberPoint(&sub))
                case 9: histograms.append(try histogramPoint(&sub))
                case 11: summaries.append(try summaryPoint(&sub))
                default: break   // exponential histogram points are not stored
                }
            case (2, .varint) where kind != 5 && kind != 11:
                temporality = OTLPTemporality(rawValue: Int(truncatingIfNeeded: try r.readVarint())) ?? .unspecified
            case (3, .varint) where kind == 7:
                monotonic = try r.readVarint() != 0
            default: try r.skip(wire)
            }
        }
        switch kind {
        case 5: return .gauge(numbers)
        case 7: return .sum(numbers, temporality: temporality, monotonic: monotonic)
        case 9: return .histogram(histograms, temporality: temporality)
        case 10: return .exponentialHistogram(temporality: temporality)
        default: return .summary(summaries)
        }
    }

    static func numberPoint(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPNumberPoint {
        var p = OTLPNumberPoint()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (7, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                p.attributes.append(try keyValue(&sub, depth: 0))
            case (3, .fixed64): p.timeUnixNano = try r.readFixed64()
            case (4, .fixed64): p.value = Double(bitPattern: try r.readFixed64())
            case (6, .fixed64): p.value = Double(Int64(bitPattern: try r.readFixed64()))
            case (8, .varint): p.flags = UInt32(truncatingIfNeeded: try r.readVarint())
            default: try r.skip(wire)
            }
        }
        return p
    }

    static func histogramPoint(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPHistogramPoint {
        var p = OTLPHistogramPoint()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (9, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                p.attributes.append(try keyValue(&sub, depth: 0))
            case (3, .fixed64): p.timeUnixNano = try r.readFixed64()
            case (4, .fixed64): p.count = try r.readFixed64()
            case (5, .fixed64): p.sum = Double(bitPattern: try r.readFixed64())
            case (6, .lengthDelimited):   // packed
                var sub = try r.readLengthDelimited()
                while !sub.isAtEnd { p.bucketCounts.append(try sub.readFixed64()) }
            case (6, .fixed64): p.bucketCounts.append(try r.readFixed64())
            case (7, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                while !sub.isAtEnd { p.explicitBounds.append(Double(bitPattern: try sub.readFixed64())) }
            case (7, .fixed64): p.explicitBounds.append(Double(bitPattern: try r.readFixed64()))
            case (10, .varint): p.flags = UInt32(truncatingIfNeeded: try r.readVarint())
            default: try r.skip(wire)
            }
        }
        return p
    }

    static func summaryPoint(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPSummaryPoint {
        var p = OTLPSummaryPoint()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (7, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                p.attributes.append(try keyValue(&sub, depth: 0))
            case (3, .fixed64): p.timeUnixNano = try r.readFixed64()
            case (4, .fixed64): p.count = try r.readFixed64()
            case (5, .fixed64): p.sum = Double(bitPattern: try r.readFixed64())
            case (6, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                var q = OTLPSummaryPoint.Quantile(quantile: 0, value: 0)
                while !sub.isAtEnd {
                    let (f, w) = try sub.readTag()
                    switch (f, w) {
                    case (1, .fixed64): q.quantile = Double(bitPattern: try sub.readFixed64())
                    case (2, .fixed64): q.value = Double(bitPattern: try sub.readFixed64())
                    default: try sub.skip(w)
                    }
                }
                p.quantiles.append(q)
            case (8, .varint): p.flags = UInt32(truncatingIfNeeded: try r.readVarint())
            default: try r.skip(wire)
            }
        }
        return p
    }

    // MARK: common

    static func resource(_ r: inout ProtoReader) throws(ProtobufError) -> [OTLPAttribute] {
        var attributes: [OTLPAttribute] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            if field == 1 {
                try r.require(wire, is: .lengthDelimited, field: "attributes")
                var sub = try r.readLengthDelimited()
                attributes.append(try keyValue(&sub, depth: 0))
            } else {
                try r.skip(wire)
            }
        }
        return attributes
    }

    static func scope(_ r: inout ProtoReader) throws(ProtobufError) -> OTLPScope {
        var s = OTLPScope()
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): s.name = try r.readString()
            case (2, .lengthDelimited): s.version = try r.readString()
            case (3, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                s.attributes.append(try keyValue(&sub, depth: 0))
            case (4, .varint): s.droppedAttributesCount = UInt32(truncatingIfNeeded: try r.readVarint())
            default: try r.skip(wire)
            }
        }
        return s
    }

    static func keyValue(_ r: inout ProtoReader, depth: Int) throws(ProtobufError) -> OTLPAttribute {
        var kv = OTLPAttribute(key: "", value: .empty)
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): kv.key = try r.readString()
            case (2, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                kv.value = try anyValue(&sub, depth: depth)
            default: try r.skip(wire)
            }
        }
        return kv
    }

    static func anyValue(_ r: inout ProtoReader, depth: Int) throws(ProtobufError) -> OTLPValue {
        guard depth < otlpMaxValueDepth else { throw r.error("attribute values nest deeper than \(otlpMaxValueDepth) levels") }
        var value = OTLPValue.empty
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch (field, wire) {
            case (1, .lengthDelimited): value = .string(try r.readString())
            case (2, .varint): value = .bool(try r.readVarint() != 0)
            case (3, .varint): value = .int(Int64(bitPattern: try r.readVarint()))
            case (4, .fixed64): value = .double(Double(bitPattern: try r.readFixed64()))
            case (5, .lengthDelimited), (6, .lengthDelimited):
                var sub = try r.readLengthDelimited()
                var items: [OTLPValue] = []
                var pairs: [OTLPAttribute] = []
                while !sub.isAtEnd {
                    let (f, w) = try sub.readTag()
                    guard f == 1, w == .lengthDelimited else { try sub.skip(w); continue }
                    var item = try sub.readLengthDelimited()
                    if field == 5 { items.append(try anyValue(&item, depth: depth + 1)) } else { pairs.append(try keyValue(&item, depth: depth + 1)) }
                }
                value = field == 5 ? .array(items) : .kvlist(pairs)
            case (7, .lengthDelimited): value = .bytes(Array(try r.readLengthDelimited().bytes))
            default: try r.skip(wire)
            }
        }
        return value
    }
}
