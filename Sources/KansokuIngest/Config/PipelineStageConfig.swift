/// One pipeline stage as written in YAML: a map with exactly one key naming the stage, as in
/// Promtail (`- regex: {expression: '...'}`). Short forms are accepted where they are
/// unambiguous: `- regex: '<expression>'`, `- labels: [a, b]`, `- output: field`.
public enum PipelineStageConfig: Decodable, Sendable, Hashable {
    case regex(RegexStageConfig)
    case json(JSONStageConfig)
    case logfmt(LogfmtStageConfig)
    case labels([String: String])
    case staticLabels([String: String])
    case labelDrop([String])
    case timestamp(TimestampStageConfig)
    case drop(DropStageConfig)
    case output(OutputStageConfig)

    struct StageKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let names = ["regex", "json", "logfmt", "labels", "static_labels", "labeldrop", "timestamp", "drop", "output"]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: StageKey.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "a pipeline stage is a map with exactly one key, one of: \(Self.names.joined(separator: ", "))"))
        }
        switch key.stringValue {
        case "regex":
            if let expression = try? c.decode(String.self, forKey: key) {
                self = .regex(RegexStageConfig(expression: expression))
            } else {
                self = .regex(try c.decode(RegexStageConfig.self, forKey: key))
            }
        case "json":
            self = .json(try c.decode(JSONStageConfig.self, forKey: key))
        case "logfmt":
            self = .logfmt(try c.decodeIfPresent(LogfmtStageConfig.self, forKey: key) ?? LogfmtStageConfig())
        case "labels":
            if let list = try? c.decode([String].self, forKey: key) {
                self = .labels(Dictionary(list.map { ($0, "") }, uniquingKeysWith: { a, _ in a }))
            } else {
                self = .labels(try c.decode([String: String?].self, forKey: key).mapValues { $0 ?? "" })
            }
        case "static_labels":
            self = .staticLabels(try c.decode([String: String].self, forKey: key))
        case "labeldrop":
            self = .labelDrop(try c.decode([String].self, forKey: key))
        case "timestamp":
            self = .timestamp(try c.decode(TimestampStageConfig.self, forKey: key))
        case "drop":
            self = .drop(try c.decode(DropStageConfig.self, forKey: key))
        case "output":
            if let source = try? c.decode(String.self, forKey: key) {
                self = .output(OutputStageConfig(source: source))
            } else {
                self = .output(try c.decode(OutputStageConfig.self, forKey: key))
            }
        default:
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c,
                debugDescription: "unknown pipeline stage \"\(key.stringValue)\": expected one of \(Self.names.joined(separator: ", "))")
        }
    }
}

/// `regex`: RE2 named groups (`(?P<name>...)`) become extracted fields.
public struct RegexStageConfig: Decodable, Sendable, Hashable {
    public var expression: String
    /// Read this extracted field instead of the line.
    public var source: String?

    public init(expression: String, source: String? = nil) {
        self.expression = expression
        self.source = source
    }
}

/// `json`: field paths (`a.b`, `a[0].b`, `"key.with.dots"`) into the line's JSON object.
public struct JSONStageConfig: Decodable, Sendable, Hashable {
    /// Extracted name → path; an empty path means the top-level key of the same name.
    public var expressions: [String: String]?
    public var source: String?
    /// Drop lines that are not JSON (by default they pass through unchanged, as in Promtail).
    public var dropMalformed: Bool?

    public init(expressions: [String: String]? = nil, source: String? = nil, dropMalformed: Bool? = nil) {
        self.expressions = expressions
        self.source = source
        self.dropMalformed = dropMalformed
    }

    enum CodingKeys: String, CodingKey {
        case expressions, source
        case dropMalformed = "drop_malformed"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        expressions = try c.decodeIfPresent([String: String?].self, forKey: .expressions)?.mapValues { $0 ?? "" }
        source = try c.decodeIfPresent(String.self, forKey: .source)
        dropMalformed = try c.decodeIfPresent(Bool.self, forKey: .dropMalformed)
    }
}

/// `logfmt`: `key=value` pairs. Without a mapping, every key a later stage refers to is extracted.
public struct LogfmtStageConfig: Decodable, Sendable, Hashable {
    /// Extracted name → logfmt key; an empty key means the same name.
    public var mapping: [String: String]?
    public var source: String?

    public init(mapping: [String: String]? = nil, source: String? = nil) {
        self.mapping = mapping
        self.source = source
    }

    enum CodingKeys: String, CodingKey { case mapping, source }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mapping = try c.decodeIfPresent([String: String?].self, forKey: .mapping)?.mapValues { $0 ?? "" }
        source = try c.decodeIfPresent(String.self, forKey: .source)
    }
}

/// `timestamp`: the entry's time from an extracted field.
public struct TimestampStageConfig: Decodable, Sendable, Hashable {
    public var source: String
    /// A Go reference layout (`02/Jan/2006:15:04:05 -0700`) or a name: RFC3339, RFC3339Nano,
    /// RFC1123, RFC1123Z, RFC822, RFC822Z, RFC850, ANSIC, UnixDate, RubyDate, Kitchen, Stamp,
    /// StampMilli, StampMicro, StampNano, Unix, UnixMs, UnixUs, UnixNs.
    public var format: String
    /// Tried in order when `format` does not match.
    public var fallbackFormats: [String]?
    /// IANA zone for layouts without a zone (default UTC).
    public var location: String?
    /// `fudge` (default: last good timestamp + 1ns, keeping order) or `skip` (keep the read time).
    public var actionOnFailure: String?

    public init(source: String, format: String, fallbackFormats: [String]? = nil, location: String? = nil,
                actionOnFailure: String? = nil) {
        self.source = source
        self.format = format
        self.fallbackFormats = fallbackFormats
        self.location = location
        self.actionOnFailure = actionOnFailure
    }

    enum CodingKeys: String, CodingKey {
        case source, format, location
        case fallbackFormats = "fallback_formats"
        case actionOnFailure = "action_on_failure"
    }
}

/// `drop`: discard lines. Every condition given must hold (as in Promtail).
public struct DropStageConfig: Decodable, Sendable, Hashable {
    /// One field name or several (joined with `separator`); without it the line is tested.
    public var source: [String]?
    public var separator: String?
    /// RE2, unanchored, tested against the source.
    public var expression: String?
    /// Exact value of the source.
    public var value: String?
    /// Drop entries whose timestamp is older than now minus this duration (`24h`).
    public var olderThan: String?
    /// Drop lines longer than this many bytes (`8KiB`, `1000`).
    public var longerThan: String?
    /// Reason reported in the dropped-lines counter.
    public var dropCounterReason: String?

    public init(source: [String]? = nil, separator: String? = nil, expression: String? = nil, value: String? = nil,
                olderThan: String? = nil, longerThan: String? = nil, dropCounterReason: String? = nil) {
        self.source = source
        self.separator = separator
        self.expression = expression
        self.value = value
        self.olderThan = olderThan
        self.longerThan = longerThan
        self.dropCounterReason = dropCounterReason
    }

    enum CodingKeys: String, CodingKey {
        case source, separator, expression, value
        case olderThan = "older_than"
        case longerThan = "longer_than"
        case dropCounterReason = "drop_counter_reason"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let one = try? c.decode(String.self, forKey: .source) {
            source = [one]
        } else {
            source = try c.decodeIfPresent([String].self, forKey: .source)
        }
        separator = try c.decodeIfPresent(String.self, forKey: .separator)
        expression = try c.decodeIfPresent(String.self, forKey: .expression)
        value = try c.decodeIfPresent(String.self, forKey: .value)
        olderThan = try c.decodeIfPresent(String.self, forKey: .olderThan)
        if let n = try? c.decode(Int.self, forKey: .longerThan) {
            longerThan = String(n)
        } else {
            longerThan = try c.decodeIfPresent(String.self, forKey: .longerThan)
        }
        dropCounterReason = try c.decodeIfPresent(String.self, forKey: .dropCounterReason)
    }
}

/// `output`: replace the line with an extracted field.
public struct OutputStageConfig: Decodable, Sendable, Hashable {
    public var source: String

    public init(source: String) { self.source = source }
}
