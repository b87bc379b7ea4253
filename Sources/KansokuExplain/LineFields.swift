import KansokuCore
import KansokuLogQL

/// Fields parsed from a line without being told its format: JSON objects, nginx/Apache
/// combined access logs (with `key=value` extensions such as `rt=` and `upstream=` after the
/// user agent), and logfmt for everything else. The parsing is LogQL's own `json`, `pattern`
/// and `logfmt` stages, so a field named here is the label a query's parser stage would give.
public struct LineFields: Sendable {
    let json: LogPipeline
    let access: LogPipeline
    let logfmt: LogPipeline

    let accessPlain: LogPipeline

    /// The access-log layout: LogQL `pattern` captures; the extensions after the user agent are
    /// logfmt, read by a second stage over them.
    static let accessQuery = #"{_="_"} | pattern "<remote_addr> <_> <remote_user> [<_>] \"<method> <path> <_>\" <status> <body_bytes> \"<_>\" \"<user_agent>\" <extensions>" | line_format "{{.extensions}}" | logfmt"#
    static let accessPlainQuery = #"{_="_"} | pattern "<remote_addr> <_> <remote_user> [<_>] \"<method> <path> <_>\" <status> <body_bytes> \"<_>\" \"<user_agent>\"""#

    public init() {
        // These queries are constants: failing to compile them is a programming error.
        json = try! LogQLEngine.pipeline(for: #"{_="_"} | json"#).pipeline
        access = try! LogQLEngine.pipeline(for: Self.accessQuery).pipeline
        accessPlain = try! LogQLEngine.pipeline(for: Self.accessPlainQuery).pipeline
        logfmt = try! LogQLEngine.pipeline(for: #"{_="_"} | logfmt"#).pipeline
    }

    /// The layout `line` is read as.
    public enum Layout: String, Sendable { case json, access, logfmt }

    /// The layout of a line from its first bytes: `{` is JSON; an IP or host, two fields and a
    /// `[time]` followed by a quoted request is an access log; anything else logfmt.
    public static func layout(of line: [UInt8]) -> Layout {
        var i = 0
        while i < line.count, line[i] == 0x20 { i += 1 }
        if i < line.count, line[i] == UInt8(ascii: "{") { return .json }
        // `host ident user [` then `] "`: three space-separated words before the bracket.
        var spaces = 0
        while i < line.count, line[i] != UInt8(ascii: "["), spaces <= 3 {
            if line[i] == 0x20 { spaces += 1 }
            i += 1
        }
        guard spaces == 3, i < line.count, i > 0, line[i - 1] == 0x20 else { return .logfmt }
        while i < line.count, line[i] != UInt8(ascii: "]") { i += 1 }
        return i + 2 < line.count && line[i + 1] == 0x20 && line[i + 2] == UInt8(ascii: "\"") ? .access : .logfmt
    }

    /// The fields of `line` as (name, value), without empty values or LogQL's error labels.
    public func fields(of line: String) -> [(name: String, value: String)] {
        let bytes = Array(line.utf8)
        let pipeline: LogPipeline
        switch Self.layout(of: bytes) {
        case .json: pipeline = json
        case .access: pipeline = access
        case .logfmt: pipeline = logfmt
        }
        var out = pipeline.process(labels: Labels(), line: bytes)
        if pipeline === access, out.labels["status"] == nil { out = accessPlain.process(labels: Labels(), line: bytes) }
        guard out.keep else { return [] }
        return out.labels.compactMap { l in
            l.value.isEmpty || l.value == "-" || l.name.hasPrefix("__") || l.name == "extensions" ? nil : (name: l.name, value: l.value)
        }
    }
}
