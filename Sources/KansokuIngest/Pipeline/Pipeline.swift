import Foundation
import KansokuCore

/// A compiled pipeline: the stages of one target with regexes, layouts and paths prepared
/// once, and every extracted field name resolved to a slot number so that running it on a
/// line looks nothing up by name. Immutable and shareable; each file gets its own
/// `PipelineRunner` for the per-line scratch state.
///
/// Semantics follow Promtail: a stage that cannot extract (no regex match, a line that is not
/// JSON, an unparsable time) leaves the extracted fields as they were and the line goes on;
/// only `drop` (and `json` with `drop_malformed`) removes lines.
public struct Pipeline: Sendable {
    enum Stage: Sendable {
        case regex(RE2Regex, source: Int?, groups: [(group: Int, field: Int)])
        case json(source: Int?, expressions: [(path: JSONPath, field: Int)], dropMalformed: Bool)
        case logfmt(source: Int?, keys: [(key: [UInt8], field: Int)])
        case labels([(slot: Int, field: Int)])
        case staticLabels([(slot: Int, value: [UInt8])])
        case labelDrop([Int])
        case timestamp(source: Int, layouts: [TimestampLayout], zone: TimeZone?, fudge: Bool)
        case drop(Drop)
        case output(source: Int)
    }

    struct Drop: Sendable {
        var sources: [Int]?
        var separator: [UInt8]
        var regex: RE2Regex?
        var value: [UInt8]?
        var olderThan: Int64?
        var longerThan: Int?
        var reason: String
    }

    let stages: [Stage]
    /// Extracted field names by slot.
    let fieldNames: [String]
    /// Label names that stages set or drop, by slot.
    let labelNames: [String]

    /// The empty pipeline: lines pass through unchanged.
    public init() {
        stages = []
        fieldNames = []
        labelNames = []
    }

    public var isEmpty: Bool { stages.isEmpty }

    public init(_ configs: [PipelineStageConfig]) throws(PipelineConfigError) {
        var compiler = PipelineCompiler(referenced: Self.referencedFields(configs))
        var stages: [Stage] = []
        for (index, config) in configs.enumerated() {
            stages.append(try compiler.compile(config, stage: index))
        }
        self.stages = stages
        self.fieldNames = compiler.fieldNames
        self.labelNames = compiler.labelNames
    }

    /// Names later stages read: logfmt without a mapping extracts exactly these.
    static func referencedFields(_ configs: [PipelineStageConfig]) -> [String] {
        var referenced: [String] = []
        for c in configs {
            switch c {
            case .labels(let m): referenced += m.map { $0.value.isEmpty ? $0.key : $0.value }
            case .timestamp(let t): referenced.append(t.source)
            case .drop(let d): referenced += d.source ?? []
            case .output(let o): referenced.append(o.source)
            case .regex(let r): referenced += r.source.map { [$0] } ?? []
            case .json(let j): referenced += j.source.map { [$0] } ?? []
            case .logfmt(let l): referenced += l.source.map { [$0] } ?? []
            default: break
            }
        }
        return referenced
    }
}
