import Foundation
import KansokuCore

/// Turns stage configurations into `Pipeline.Stage`s, numbering extracted fields and label
/// names as it meets them so the running pipeline addresses both by slot.
struct PipelineCompiler {
    private(set) var fieldNames: [String] = []
    private(set) var labelNames: [String] = []
    private var fields: [String: Int] = [:]
    private var labelSlots: [String: Int] = [:]
    /// What later stages read, for a logfmt stage without a mapping.
    let referenced: [String]

    init(referenced: [String]) { self.referenced = referenced }

    mutating func field(_ name: String) -> Int {
        if let i = fields[name] { return i }
        fields[name] = fieldNames.count
        fieldNames.append(name)
        return fieldNames.count - 1
    }

    mutating func slot(_ name: String, stage: Int) throws(PipelineConfigError) -> Int {
        guard LabelSetText.isValidName(name) else { throw .invalidLabelName(stage: stage, name) }
        if let i = labelSlots[name] { return i }
        labelSlots[name] = labelNames.count
        labelNames.append(name)
        return labelNames.count - 1
    }

    mutating func compile(_ config: PipelineStageConfig, stage index: Int) throws(PipelineConfigError) -> Pipeline.Stage {
        switch config {
        case .regex(let r):
            return try regex(r, stage: index)
        case .json(let j):
            return try json(j, stage: index)
        case .logfmt(let l):
            let mapping = l.mapping ?? Dictionary(referenced.map { ($0, "") }, uniquingKeysWith: { a, _ in a })
            var keys: [(key: [UInt8], field: Int)] = []
            for (name, key) in mapping.sorted(by: { $0.key < $1.key }) {
                keys.append((Array((key.isEmpty ? name : key).utf8), field(name)))
            }
            return .logfmt(source: l.source.map { field($0) }, keys: keys)
        case .labels(let m):
            var pairs: [(slot: Int, field: Int)] = []
            for (name, source) in m.sorted(by: { $0.key < $1.key }) {
                pairs.append((try slot(name, stage: index), field(source.isEmpty ? name : source)))
            }
            return .labels(pairs)
        case .staticLabels(let m):
            var pairs: [(slot: Int, value: [UInt8])] = []
            for (name, value) in m.sorted(by: { $0.key < $1.key }) { pairs.append((try slot(name, stage: index), Array(value.utf8))) }
            return .staticLabels(pairs)
        case .labelDrop(let names):
            var slots: [Int] = []
            for n in names { slots.append(try slot(n, stage: index)) }
            return .labelDrop(slots)
        case .timestamp(let t):
            return try timestamp(t, stage: index)
        case .drop(let d):
            return .drop(try drop(d, stage: index))
        case .output(let o):
            return .output(source: field(o.source))
        }
    }

    private mutating func regex(_ r: RegexStageConfig, stage index: Int) throws(PipelineConfigError) -> Pipeline.Stage {
        let re: RE2Regex
        do { re = try RE2Regex(r.expression) } catch { throw .invalidRegex(stage: index, error) }
        var groups: [(group: Int, field: Int)] = []
        for (g, name) in re.groupNames.enumerated() where g > 0 {
            if let name { groups.append((g, field(name))) }
        }
        guard !groups.isEmpty else { throw .regexWithoutNamedGroups(stage: index, pattern: r.expression) }
        return .regex(re, source: r.source.map { field($0) }, groups: groups)
    }

    private mutating func json(_ j: JSONStageConfig, stage index: Int) throws(PipelineConfigError) -> Pipeline.Stage {
        var exprs: [(path: JSONPath, field: Int)] = []
        for (name, expression) in (j.expressions ?? [:]).sorted(by: { $0.key < $1.key }) {
            let text = expression.isEmpty ? name : expression
            do {
                exprs.append((try JSONPath(text), field(name)))
            } catch {
                throw .invalidJSONExpression(stage: index, expression: text, reason: error.reason)
            }
        }
        return .json(source: j.source.map { field($0) }, expressions: exprs, dropMalformed: j.dropMalformed ?? false)
    }

    private mutating func timestamp(_ t: TimestampStageConfig, stage index: Int) throws(PipelineConfigError) -> Pipeline.Stage {
        var layouts = [try TimestampLayout(t.format)]
        for f in t.fallbackFormats ?? [] { layouts.append(try TimestampLayout(f)) }
        var zone: TimeZone?
        if let loc = t.location {
            guard let z = TimeZone(identifier: loc) else { throw .unknownLocation(stage: index, loc) }
            zone = z
        }
        let action = (t.actionOnFailure ?? "fudge").lowercased()
        guard action == "fudge" || action == "skip" else { throw .invalidAction(stage: index, action) }
        return .timestamp(source: field(t.source), layouts: layouts, zone: zone, fudge: action == "fudge")
    }

    private mutating func drop(_ d: DropStageConfig, stage index: Int) throws(PipelineConfigError) -> Pipeline.Drop {
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
        return Pipeline.Drop(
            sources: d.source.map { $0.map { field($0) } }, separator: Array((d.separator ?? ";").utf8), regex: regex,
            value: d.value.map { Array($0.utf8) }, olderThan: olderThan, longerThan: longerThan,
            reason: d.dropCounterReason ?? "drop_stage")
    }
}
