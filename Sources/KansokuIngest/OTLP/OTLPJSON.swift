import KansokuCore

/// Decodes OTLP/JSON (the protobuf JSON mapping: lowerCamelCase keys, 64-bit integers as
/// strings or numbers, enums as numbers or names, trace and span ids as hex). Keys are
/// matched ignoring case and underscores, so the proto field names are accepted too.
public enum OTLPJSON {
    public static func decodeLogs(_ body: UnsafeRawBufferPointer) throws(OTLPDecodeError) -> OTLPLogs {
        let root = try parse(body)
        var out = OTLPLogs()
        for (i, rl) in try root.array("resourceLogs", path: "body").enumerated() {
            let path = "resourceLogs[\(i)]"
            var resource = OTLPLogs.ResourceLogs()
            resource.resource = try attributes(rl.member("resource")?.member("attributes"), path: path + ".resource")
            for (j, sl) in try rl.array("scopeLogs", path: path).enumerated() {
                let spath = path + ".scopeLogs[\(j)]"
                var scope = OTLPLogs.ScopeLogs(scope: try self.scope(sl.member("scope"), path: spath))
                for (k, lr) in try sl.array("logRecords", path: spath).enumerated() {
                    scope.records.append(try logRecord(lr, path: spath + ".logRecords[\(k)]"))
                }
                resource.scopes.append(scope)
            }
            out.resources.append(resource)
        }
        return out
    }

    public static func decodeMetrics(_ body: UnsafeRawBufferPointer) throws(OTLPDecodeError) -> OTLPMetrics {
        let root = try parse(body)
        var out = OTLPMetrics()
        for (i, rm) in try root.array("resourceMetrics", path: "body").enumerated() {
            let path = "resourceMetrics[\(i)]"
            var resource = OTLPMetrics.ResourceMetrics()
            resource.resource = try attributes(rm.member("resource")?.member("attributes"), path: path + ".resource")
            for (j, sm) in try rm.array("scopeMetrics", path: path).enumerated() {
                let spath = path + ".scopeMetrics[\(j)]"
                var scope = OTLPMetrics.ScopeMetrics(scope: try self.scope(sm.member("scope"), path: spath))
                for (k, m) in try sm.array("metrics", path: spath).enumerated() {
                    scope.metrics.append(try metric(m, path: spath + ".metrics[\(k)]"))
                }
                resource.scopes.append(scope)
            }
            out.resources.append(resource)
        }
        return out
    }

    // MARK: records

    static func logRecord(_ v: JSONTree, path: String) throws(OTLPDecodeError) -> OTLPLogRecord {
        var r = OTLPLogRecord()
        r.timeUnixNano = try v.unsigned("timeUnixNano", path: path) ?? 0
        r.observedTimeUnixNano = try v.unsigned("observedTimeUnixNano", path: path) ?? 0
        if let s = v.member("severityNumber") {
            switch s {
            case .string(let name): r.severityNumber = severityNames.firstIndex(of: name) ?? 0
            default: r.severityNumber = Int(try s.integer(path: path + ".severityNumber"))
            }
        }
        r.severityText = try v.string("severityText", path: path) ?? ""
        if let body = v.member("body") { r.body = try value(body, path: path + ".body", depth: 0) }
        r.attributes = try attributes(v.member("attributes"), path: path)
        r.droppedAttributesCount = UInt32(truncatingIfNeeded: try v.unsigned("droppedAttributesCount", path: path) ?? 0)
        r.flags = UInt32(truncatingIfNeeded: try v.unsigned("flags", path: path) ?? 0)
        r.traceID = try hex(v.string("traceId", path: path), path: path + ".traceId")
        r.spanID = try hex(v.string("spanId", path: path), path: path + ".spanId")
        return r
    }

    static func metric(_ v: JSONTree, path: String) throws(OTLPDecodeError) -> OTLPMetric {
        var m = OTLPMetric()
        m.name = try v.string("name", path: path) ?? ""
        m.unit = try v.string("unit", path: path) ?? ""
        if let g = v.member("gauge") {
            m.data = .gauge(try numberPoints(g, path: path + ".gauge"))
        } else if let s = v.member("sum") {
            m.data = .sum(try numberPoints(s, path: path + ".sum"), temporality: try temporality(s, path: path + ".sum"),
                          monotonic: try s.bool("isMonotonic", path: path + ".sum") ?? false)
        } else if let h = v.member("histogram") {
            let hpath = path + ".histogram"
            var points: [OTLPHistogramPoint] = []
            for (i, p) in try h.array("dataPoints", path: hpath).enumerated() {
                let ppath = hpath + ".dataPoints[\(i)]"
                var point = OTLPHistogramPoint()
                point.attributes = try attributes(p.member("attributes"), path: ppath)
                point.timeUnixNano = try p.unsigned("timeUnixNano", path: ppath) ?? 0
                point.count = try p.unsigned("count", path: ppath) ?? 0
                point.sum = try p.double("sum", path: ppath)
                point.bucketCounts = try p.array("bucketCounts", path: ppath).enumerated().map { (k, c) throws(OTLPDecodeError) in
                    UInt64(try c.integer(path: ppath + ".bucketCounts[\(k)]"))
                }
                point.explicitBounds = try p.array("explicitBounds", path: ppath).enumerated().map { (k, b) throws(OTLPDecodeError) in
                    try b.number(path: ppath + ".explicitBounds[\(k)]")
                }
                point.flags = UInt32(truncatingIfNeeded: try p.unsigned("flags", path: ppath) ?? 0)
                points.append(point)
            }
            m.data = .histogram(points, temporality: try temporality(h, path: hpath))
        } else if let e = v.member("exponentialHistogram") {
            m.data = .exponentialHistogram(temporality: try temporality(e, path: path + ".exponentialHistogram"))
        } else if let s = v.member("summary") {
            let spath = path + ".summary"
            var points: [OTLPSummaryPoint] = []
            for (i, p) in try s.array("dataPoints", path: spath).enumerated() {
                let ppath = spath + ".dataPoints[\(i)]"
                var point = OTLPSummaryPoint()
                point.attributes = try attributes(p.member("attributes"), path: ppath)
                point.timeUnixNano = try p.unsigned("timeUnixNano", path: ppath) ?? 0
                point.count = try p.unsigned("count", path: ppath) ?? 0
                point.sum = try p.double("sum", path: ppath) ?? 0
                for (k, q) in try p.array("quantileValues", path: ppath).enumerated() {
                    let qpath = ppath + ".quantileValues[\(k)]"
                    point.quantiles.append(.init(quantile: try q.double("quantile", path: qpath) ?? 0, value: try q.double("value", path: qpath) ?? 0))
                }
                point.flags = UInt32(truncatingIfNeeded: try p.unsigned("flags", path: ppath) ?? 0)
                points.append(point)
            }
            m.data = .summary(points)
        }
        return m
    }

    static func numberPoints(_ v: JSONTree, path: String) throws(OTLPDecodeError) -> [OTLPNumberPoint] {
        var out: [OTLPNumberPoint] = []
        for (i, p) in try v.array("dataPoints", path: path).enumerated() {
            let ppath = path + ".dataPoints[\(i)]"
            var point = OTLPNumberPoint()
            point.attributes = try attributes(p.member("attributes"), path: ppath)
            point.timeUnixNano = try p.unsigned("timeUnixNano", path: ppath) ?? 0
            if let d = try p.double("asDouble", path: ppath) {
                point.value = d
            } else if let n = p.member("asInt") {
                point.value = Double(try n.integer(path: ppath + ".asInt"))
            }
            point.flags = UInt32(truncatingIfNeeded: try p.unsigned("flags", path: ppath) ?? 0)
            out.append(point)
        }
        return out
    }

    static func temporality(_ v: JSONTree, path: String) throws(OTLPDecodeError) -> OTLPTemporality {
        switch v.member("aggregationTemporality") {
        case nil: return .unspecified
        case .string(let name)?:
            switch name {
            case "AGGREGATION_TEMPORALITY_DELTA": return .delta
            case "AGGREGATION_TEMPORALITY_CUMULATIVE": return .cumulative
            default: return .unspecified
            }
        case let t?: return OTLPTemporality(rawValue: Int(try t.integer(path: path + ".aggregationTemporality"))) ?? .unspecified
        }
    }

    // MARK: common

    static func scope(_ v: JSONTree?, path: String) throws(OTLPDecodeError) -> OTLPScope {
        guard let v else { return OTLPScope() }
        var s = OTLPScope()
        s.name = try v.string("name", path: path + ".scope") ?? ""
        s.version = try v.string("version", path: path + ".scope") ?? ""
        s.attributes = try attributes(v.member("attributes"), path: path + ".scope")
        s.droppedAttributesCount = UInt32(truncatingIfNeeded: try v.unsigned("droppedAttributesCount", path: path + ".scope") ?? 0)
        return s
    }

    static func attributes(_ v: JSONTree?, path: String, depth: Int = 0) throws(OTLPDecodeError) -> [OTLPAttribute] {
        guard let v else { return [] }
        guard case .array(let items) = v else { throw .shape(path: path + ".attributes", expected: "an array") }
        var out: [OTLPAttribute] = []
        for (i, kv) in items.enumerated() {
            let kpath = path + ".attributes[\(i)]"
            let key = try kv.string("key", path: kpath) ?? ""
            let value = try kv.member("value").map { (x) throws(OTLPDecodeError) in try self.value(x, path: kpath + ".value", depth: depth) } ?? .empty
            out.append(OTLPAttribute(key: key, value: value))
        }
        return out
    }

    static func value(_ v: JSONTree, path: String, depth: Int) throws(OTLPDecodeError) -> OTLPValue {
        guard depth < otlpMaxValueDepth else { throw .tooDeep(limit: otlpMaxValueDepth) }
        guard case .object(let members) = v else { throw .shape(path: path, expected: "an AnyValue object") }
        guard let (key, inner) = members.first else { return .empty }
        switch normalized(key) {
        case "stringvalue":
            guard case .string(let s) = inner else { throw .shape(path: path + ".stringValue", expected: "a string") }
            return .string(s)
        case "boolvalue":
            guard case .bool(let b) = inner else { throw .shape(path: path + ".boolValue", expected: "true or false") }
            return .bool(b)
        case "intvalue": return .int(try inner.integer(path: path + ".intValue"))
        case "doublevalue": return .double(try inner.number(path: path + ".doubleValue"))
        case "bytesvalue":
            guard case .string(let s) = inner, let bytes = Base64.decode(s) else {
                throw .shape(path: path + ".bytesValue", expected: "a base64 string")
            }
            return .bytes(bytes)
        case "arrayvalue":
            return .array(try inner.array("values", path: path + ".arrayValue").enumerated().map { (i, x) throws(OTLPDecodeError) in
                try value(x, path: path + ".arrayValue.values[\(i)]", depth: depth + 1)
            })
        case "kvlistvalue":
            return .kvlist(try attributes(inner.member("values"), path: path + ".kvlistValue", depth: depth + 1))
        default:
            return .empty
        }
    }

    static func hex(_ text: String?, path: String) throws(OTLPDecodeError) -> [UInt8] {
        guard let text, !text.isEmpty else { return [] }
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw .shape(path: path, expected: "an even number of hex digits") }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { throw .shape(path: path, expected: "hex digits") }
            out.append(hi << 4 | lo)
        }
        return out
    }

    /// `SeverityNumber` enum names, by value.
    static let severityNames: [String] = ["SEVERITY_NUMBER_UNSPECIFIED"] + ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].flatMap { level in
        ["", "2", "3", "4"].map { "SEVERITY_NUMBER_\(level)\($0)" }
    }

    static func normalized(_ key: String) -> String { String(key.lowercased().filter { $0 != "_" }) }

    static func parse(_ body: UnsafeRawBufferPointer) throws(OTLPDecodeError) -> JSONTree {
        var s = JSONScanner(body)
        do {
            let tree = try JSONTree.read(&s, depth: 0)
            try s.expectEnd()
            return tree
        } catch let e as JSONSyntaxError {
            throw .json(e)
        } catch let e as OTLPDecodeError {
            throw e
        } catch {
            throw .shape(path: "body", expected: "\(error)")
        }
    }
}
