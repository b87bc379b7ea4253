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
        var fields: [String: Int] = [:]
        var fieldNames: [String] = []
        var labelSlots: [String: Int] = [:]
        var labelNames: [String] = []
        func field(_ name: String) -> Int {
            if let i = fields[name] { return i }
            fields[name] = fieldNames.count
            fieldNames.append(name)
            return fieldNames.count - 1
        }
        func slot(_ name: String, stage: Int) throws(PipelineConfigError) -> Int {
            guard LabelSetText.isValidName(name) else { throw .invalidLabelName(stage: stage, name) }
            if let i = labelSlots[name] { return i }
            labelSlots[name] = labelNames.count
            labelNames.append(name)
            return labelNames.count - 1
        }
        // Names later stages read: logfmt without a mapping extracts exactly these.
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

        var stages: [Stage] = []
        for (index, config) in configs.enumerated() {
            switch config {
            case .regex(let r):
                let re: RE2Regex
                do { re = try RE2Regex(r.expression) } catch { throw .invalidRegex(stage: index, error) }
                var groups: [(Int, Int)] = []
                for (g, name) in re.groupNames.enumerated() where g > 0 {
                    if let name { groups.append((g, field(name))) }
                }
                guard !groups.isEmpty else { throw .regexWithoutNamedGroups(stage: index, pattern: r.expression) }
                stages.append(.regex(re, source: r.source.map(field), groups: groups))
            case .json(let j):
                var exprs: [(JSONPath, Int)] = []
                for (name, expression) in (j.expressions ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let text = expression.isEmpty ? name : expression
                    do {
                        exprs.append((try JSONPath(text), field(name)))
                    } catch {
                        throw .invalidJSONExpression(stage: index, expression: text, reason: error.reason)
                    }
                }
                stages.append(.json(source: j.source.map(field), expressions: exprs, dropMalformed: j.dropMalformed ?? false))
            case .logfmt(let l):
                let mapping = l.mapping ?? Dictionary(referenced.map { ($0, "") }, uniquingKeysWith: { a, _ in a })
                let keys = mapping.sorted(by: { $0.key < $1.key }).map { name, key in
                    (Array((key.isEmpty ? name : key).utf8), field(name))
                }
                stages.append(.logfmt(source: l.source.map(field), keys: keys))
            case .labels(let m):
                var pairs: [(Int, Int)] = []
                for (name, source) in m.sorted(by: { $0.key < $1.key }) {
                    pairs.append((try slot(name, stage: index), field(source.isEmpty ? name : source)))
                }
                stages.append(.labels(pairs))
            case .staticLabels(let m):
                var pairs: [(Int, [UInt8])] = []
                for (name, value) in m.sorted(by: { $0.key < $1.key }) { pairs.append((try slot(name, stage: index), Array(value.utf8))) }
                stages.append(.staticLabels(pairs))
            case .labelDrop(let names):
                var slots: [Int] = []
                for n in names { slots.append(try slot(n, stage: index)) }
                stages.append(.labelDrop(slots))
            case .timestamp(let t):
                var layouts = [try TimestampLayout(t.format)]
                for f in t.fallbackFormats ?? [] { layouts.append(try TimestampLayout(f)) }
                var zone: TimeZone?
                if let loc = t.location {
                    guard let z = TimeZone(identifier: loc) else { throw .unknownLocation(stage: index, loc) }
                    zone = z
                }
                let action = (t.actionOnFailure ?? "fudge").lowercased()
                guard action == "fudge" || action == "skip" else { throw .invalidAction(stage: index, action) }
                stages.append(.timestamp(source: field(t.source), layouts: layouts, zone: zone, fudge: action == "fudge"))
            case .drop(let d):
                var regex: RE2Regex?
                if let e = d.expression {
                    do { regex = try RE2Regex(e) } catch { throw .invalidRegex(stage: index, error) }
                }
                var olderThan: Int64?
                if let o = d.olderThan {
                    guard let dur = PromDuration(o) else { throw .invalidDuration(stage: index, o) }
                    olderThan = dur.nanoseconds
                }
                var longerThan: Int?
                if let l = d.longerThan {
                    guard let n = ByteSize.parseInt(l) else { throw .invalidSize(stage: index, l) }
                    longerThan = n
                }
                guard d.source != nil || regex != nil || d.value != nil || olderThan != nil || longerThan != nil else {
                    throw .emptyDrop(stage: index)
                }
                if d.value != nil && d.source == nil { throw .valueWithoutSource(stage: index) }
                stages.append(.drop(Drop(
                    sources: d.source.map { $0.map(field) }, separator: Array((d.separator ?? ";").utf8), regex: regex,
                    value: d.value.map { Array($0.utf8) }, olderThan: olderThan, longerThan: longerThan,
                    reason: d.dropCounterReason ?? "drop_stage")))
            case .output(let o):
                stages.append(.output(source: field(o.source)))
            }
        }
        self.stages = stages
        self.fieldNames = fieldNames
        self.labelNames = labelNames
    }
}
