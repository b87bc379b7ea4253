import Foundation
import KansokuCore

/// A parsed Go text/template as Prometheus uses it in alert labels and annotations:
/// `{{ $labels.instance }}`, `{{ $value }}`, `{{ .Labels.job }}`, `{{ $value | humanize }}`,
/// `{{ printf "%.2f" $value }}`, `{{ if gt $value 0.5 }}…{{ else }}…{{ end }}`, comments and
/// `{{-`/`-}}` trimming. Functions: Prometheus's humanize family, printf, toUpper, toLower,
/// title, reReplaceAll, match, stripPort, stripDomain, comparisons, and/or/not, len, index.
public struct AlertTemplate: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case action([Command])
        case ifBlock(cond: [Command], then: [Node], otherwise: [Node])
    }

    /// One command of a pipeline: a function name with arguments, or a single operand.
    struct Command: Sendable {
        var function: String?
        var args: [Operand]
    }

    indirect enum Operand: Sendable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case variable(String, [String])  // $labels.instance → ("labels", ["instance"])
        case field([String])             // .Labels.job
        case pipeline([Command])
    }

    enum Value {
        case string(String)
        case number(Double)
        case bool(Bool)
        case map([String: String])
        case none

        var truthy: Bool {
            switch self {
            case .string(let s): !s.isEmpty
            case .number(let n): n != 0
            case .bool(let b): b
            case .map(let m): !m.isEmpty
            case .none: false
            }
        }
    }

    /// What a template may read.
    public struct Data: Sendable {
        public var labels: [String: String]
        public var externalLabels: [String: String]
        public var externalURL: String
        public var value: Double

        public init(labels: [String: String], value: Double, externalLabels: [String: String] = [:], externalURL: String = "") {
            self.labels = labels
            self.value = value
            self.externalLabels = externalLabels
            self.externalURL = externalURL
        }
    }

    public struct TemplateError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    let nodes: [Node]
    public let source: String

    public init(_ source: String) throws(TemplateError) {
        self.source = source
        var p = TemplateParser(source)
        nodes = try p.parseNodes(untilEnd: false).nodes
    }

    /// Expands the template; an error names what failed, as Prometheus puts it into the
    /// annotation (`<error expanding template: …>`).
    public func expand(_ data: Data) -> String {
        var out = ""
        do throws(TemplateError) {
            try render(nodes, data, into: &out)
        } catch {
            return "<error expanding template: \(error.message)>"
        }
        return out
    }

    /// The most bytes one expansion may produce: an annotation is a message, not a payload.
    public static let maxOutputBytes = 1 << 20

    /// Refuses to build a value of `bytes`.
    static func checkSize(_ bytes: Int) throws(TemplateError) {
        guard bytes <= maxOutputBytes else {
            throw TemplateError(message: "template output exceeds the limit of \(maxOutputBytes) bytes")
        }
    }

    private func render(_ nodes: [Node], _ data: Data, into out: inout String) throws(TemplateError) {
        for n in nodes {
            switch n {
            case .text(let t): out += t
            case .action(let cmds): out += Self.text(try eval(cmds, data))
            case .ifBlock(let cond, let then, let otherwise):
                try render(try eval(cond, data).truthy ? then : otherwise, data, into: &out)
            }
            try Self.checkSize(out.utf8.count)
        }
    }

    static func text(_ v: Value) -> String {
        switch v {
        case .string(let s): s
        case .number(let n): GoFloat.shortest(n)
        case .bool(let b): b ? "true" : "false"
        case .map(let m): "map[" + m.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ") + "]"
        case .none: "<no value>"
        }
    }

    private func eval(_ pipeline: [Command], _ data: Data) throws(TemplateError) -> Value {
        var last: Value?
        for cmd in pipeline {
            var args: [Value] = []
            for a in cmd.args { args.append(try operand(a, data)) }
            if let last { args.append(last) }
            if let fn = cmd.function {
                last = try TemplateFunctions.call(fn, args)
            } else {
                guard args.count == 1 else { throw TemplateError(message: "can't give argument to non-function") }
                last = args[0]
            }
        }
        return last ?? .none
    }

    private func operand(_ o: Operand, _ data: Data) throws(TemplateError) -> Value {
        switch o {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .pipeline(let p): return try eval(p, data)
        case .variable(let name, let path):
            let base: Value
            switch name {
            case "labels": base = .map(data.labels)
            case "externalLabels": base = .map(data.externalLabels)
            case "externalURL": base = .string(data.externalURL)
            case "value": base = .number(data.value)
            case "": return try field(path, data)
            default: throw TemplateError(message: "undefined variable \"$\(name)\"")
            }
            return try walk(base, path[...])
        case .field(let path):
            return try field(path, data)
        }
    }

    /// `.Labels.x`, `.Value`, `.ExternalLabels.x`, `.ExternalURL`: fields of the template's data.
    private func field(_ path: [String], _ data: Data) throws(TemplateError) -> Value {
        guard let first = path.first else { return .none }
        let base: Value
        switch first {
        case "Labels": base = .map(data.labels)
        case "ExternalLabels": base = .map(data.externalLabels)
        case "ExternalURL": base = .string(data.externalURL)
        case "Value": base = .number(data.value)
        default: throw TemplateError(message: "can't evaluate field \(first)")
        }
        return try walk(base, path.dropFirst())
    }

    private func walk(_ base: Value, _ path: ArraySlice<String>) throws(TemplateError) -> Value {
        var v = base
        for key in path {
            guard case .map(let m) = v else { throw TemplateError(message: "can't evaluate field \(key)") }
            // A missing map key is "<no value>" in Go templates.
            v = m[key].map { .string($0) } ?? .none
        }
        return v
    }
}
