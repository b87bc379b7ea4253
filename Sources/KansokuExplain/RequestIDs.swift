import Foundation
public import KansokuCore

/// The request and trace identifiers a line carries: `trace_id`, `traceID`, `request_id`,
/// `X-Request-ID`, W3C `traceparent` (its trace id) and the same names in labels or
/// structured metadata (as OTLP logs carry `trace_id`).
public enum RequestIDs {
    /// Key names, lower-cased with `-` and `.` read as `_`.
    static let keys: Set<String> = [
        "trace_id", "traceid", "request_id", "requestid", "x_request_id", "req_id", "reqid", "correlation_id",
        "x_correlation_id", "x_b3_traceid", "traceparent",
    ]
    /// Shorter values are not specific enough to search every stream for.
    static let minimumLength = 8

    static func normalisedKey(_ name: String) -> String {
        String(name.lowercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
    }

    /// The identifiers of `line` and its `labels`, first found first, without repeats.
    public static func extract(line: String, labels: Labels, fields: LineFields = LineFields()) -> [String] {
        var out: [String] = []
        func add(_ key: String, _ value: String) {
            let k = normalisedKey(key)
            guard keys.contains(k) else { return }
            let id = k == "traceparent" ? traceID(ofTraceparent: value) : value
            if let id, id.utf8.count >= minimumLength, !out.contains(id) { out.append(id) }
        }
        for l in labels { add(l.name, l.value) }
        for f in fields.fields(of: line) { add(f.name, f.value) }
        // `X-Request-ID: abc` and `traceparent: 00-…` as headers are logged.
        for word in ["x-request-id", "traceparent", "request-id", "trace-id"] {
            var rest = Substring(line)
            while let r = rest.range(of: word, options: .caseInsensitive) {
                var after = rest[r.upperBound...].drop { $0 == ":" || $0 == " " || $0 == "=" || $0 == "\"" }
                after = after.prefix { !" \",;}".contains($0) }
                if !after.isEmpty { add(word, String(after)) }
                rest = rest[r.upperBound...]
            }
        }
        return out
    }

    /// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
    public static func traceID(ofTraceparent v: String) -> String? {
        let parts = v.split(separator: "-")
        guard parts.count >= 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return String(parts[1])
    }
}
