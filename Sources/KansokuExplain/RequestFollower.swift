public import KansokuCore
public import KansokuLogQL

/// One line of a request's timeline.
public struct TimelineEntry: Sendable, Equatable, Codable {
    public var time: String
    /// Seconds after the timeline's first line.
    public var offset: Double
    public var service: String
    public var level: String
    public var labels: [String: String]
    public var line: String
}

/// Every line carrying one of a request's identifiers, across all streams, in time order.
public struct RequestTimeline: Sendable, Equatable, Codable {
    public var ids: [String]
    public var start: String
    public var end: String
    public var streams: Int
    public var entries: [TimelineEntry]
    /// More lines matched than were read.
    public var truncated: Bool
}

/// Runs the needle query of a request's identifiers over every stream of the tenant.
public struct RequestFollower: Sendable {
    let engine: LogQLEngine
    let tenant: String
    public static let maxIDs = 8
    public static let maxAround: Int64 = 86_400 * 1_000_000_000
    public static let maxLines = 5000

    public init(engine: LogQLEngine, tenant: String) {
        self.engine = engine
        self.tenant = tenant
    }

    /// The lines with any of `ids` within `around` of `time`.
    public func follow(ids: [String], time: Int64, around: Int64 = 300_000_000_000, limit: Int = 1000) async throws(ExplainError) -> RequestTimeline {
        let ids = ids.filter { !$0.isEmpty }
        guard !ids.isEmpty else { throw .invalidArgument("no request or trace id to follow") }
        guard ids.count <= Self.maxIDs else { throw .invalidArgument("at most \(Self.maxIDs) ids at once") }
        guard around > 0, around <= Self.maxAround else { throw .invalidArgument("around must be positive and at most 24h") }
        guard (1...Self.maxLines).contains(limit) else { throw .invalidArgument("limit must be between 1 and \(Self.maxLines)") }
        let start = time - around, end = time + around
        // A selector matches only streams having some label; one `{name=~".+"}` per first label
        // name covers every stream, each line found once per query at most.
        let streams = engine.reader.streams(tenant: tenant, matchers: [], from: start, through: end).map(\.labels)
        var names: [String] = []
        for s in streams { if let n = s.first?.name, !names.contains(n) { names.append(n) } }
        let needle = ids.map { goQuoted($0) }.joined(separator: " or ")
        struct Seen: Hashable { var labels: Labels; var ts: Int64; var line: [UInt8] }
        var seen = Set<Seen>()
        var found: [(Int64, Labels, String)] = []
        var truncated = false
        for name in names {
            let q = "{\(name)=~\".+\"} |= \(needle)"
            let result: LogQLResult
            do {
                result = try await engine.queryRange(q, tenant: tenant, start: start, end: end, step: LogQLEngine.defaultStep(start: start, end: end),
                                                     direction: .forward, limit: limit)
            } catch { throw .query(error) }
            guard case .streams(let ss) = result.data else { continue }
            var count = 0
            for s in ss {
                for e in s.entries {
                    count += 1
                    if seen.insert(Seen(labels: s.labels, ts: e.timestamp, line: e.line)).inserted {
                        found.append((e.timestamp, s.labels, String(decoding: e.line, as: UTF8.self)))
                    }
                }
            }
            if count >= limit { truncated = true }
        }
        found.sort { $0.0 < $1.0 }
        if found.count > limit { found.removeLast(found.count - limit); truncated = true }
        let first = found.first?.0 ?? time
        let fields = LineFields()
        let entries = found.map { ts, labels, line in
            TimelineEntry(time: TimeFormatter.rfc3339Nano(ts), offset: Double(ts - first) / 1e9, service: Self.service(labels),
                          level: Self.level(line: line, labels: labels, fields: fields),
                          labels: Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }), line: line)
        }
        return RequestTimeline(ids: ids, start: TimeFormatter.rfc3339Nano(start), end: TimeFormatter.rfc3339Nano(end),
                               streams: streams.count, entries: entries, truncated: truncated)
    }

    /// The name a timeline shows for a stream: its app, else service or job.
    public static func service(_ labels: Labels) -> String {
        labels["app"] ?? labels["service_name"] ?? labels["service"] ?? labels["job"] ?? labels["container"] ?? labels.description
    }

    /// The line's level: a `level` label or field, a level word among its first words, or an
    /// access log's status class.
    public static func level(line: String, labels: Labels, fields: LineFields) -> String {
        if let l = labels["level"] ?? labels["detected_level"] ?? labels["severity"] { return l.lowercased() }
        let parsed = fields.fields(of: line)
        for key in ["level", "lvl", "severity"] {
            if let v = parsed.first(where: { $0.name == key })?.value { return v.lowercased() }
        }
        if let status = parsed.first(where: { $0.name == "status" })?.value, let code = Int(status) {
            return code >= 500 ? "error" : code >= 400 ? "warn" : "info"
        }
        for word in line.split(separator: " ", maxSplits: 4).prefix(4) {
            switch word.uppercased() {
            case "ERROR", "ERR", "FATAL", "CRITICAL": return "error"
            case "WARN", "WARNING": return "warn"
            case "INFO": return "info"
            case "DEBUG", "TRACE": return word.lowercased()
            default: continue
            }
        }
        return "unknown"
    }
}
