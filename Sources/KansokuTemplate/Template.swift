import KansokuCore

/// A compiled Go `text/template`: text and `{{ … }}` actions with pipelines, variables,
/// `if`/`else if`/`else`, `with`, `range` over label sets, comments, trim markers and Go's
/// builtin functions, plus the functions and variables of the language it was compiled for
/// (LogQL's `line_format`, alert annotations). Compiled once; rendered as often as needed, each rendering bounded
/// to `outputLimit` bytes.
public struct Template: Sendable {
    /// The deepest nesting of blocks (`if`, `with`, `range`), and of parentheses in one action.
    public static let maxDepth = 256
    /// The most `range` iterations one rendering may run, all ranges together: nested ranges
    /// with empty bodies build no output, so the output bound alone would not stop them.
    public static let maxRangeIterations = 100_000

    public let source: String
    let program: TemplateProgram

    public init(_ source: String, language: TemplateLanguage, outputLimit: Int) throws(TemplateError) {
        self.source = source
        var parser = TemplateParser(source, language: language)
        let nodes = try parser.parseList(untilEnd: false).0
        program = TemplateProgram(nodes: nodes, language: language, outputLimit: outputLimit)
    }

    public var outputLimit: Int { program.outputLimit }

    /// The text the template makes from `data`, with the language's predefined variables
    /// bound to `variables` (an unbound one reads as `<no value>`).
    public func render(_ data: any TemplateData, variables: [(String, TemplateValue)] = []) throws(TemplateError) -> String {
        var run = TemplateRun(program: program, data: data, variables: variables)
        try run.render(program.nodes)
        return run.out
    }
}

/// What rendering needs of a compiled template, shared by reference with every call.
final class TemplateProgram: Sendable {
    let nodes: [TemplateNode]
    let language: TemplateLanguage
    let outputLimit: Int
    /// The patterns written as literals where a function takes a regex, compiled once here
    /// rather than at every rendering. (A pattern that does not compile is left for
    /// rendering to report.)
    let regexes: [String: RE2Regex]

    init(nodes: [TemplateNode], language: TemplateLanguage, outputLimit: Int) {
        self.nodes = nodes
        self.language = language
        self.outputLimit = outputLimit
        var regexes: [String: RE2Regex] = [:]
        Self.literalPatterns(nodes) { pattern in
            if regexes[pattern] == nil, let re = try? RE2Regex(pattern) { regexes[pattern] = re }
        }
        self.regexes = regexes
    }

    func check(_ bytes: Int) throws(TemplateError) {
        guard bytes <= outputLimit else {
            throw .execution("template output exceeds the limit of \(outputLimit) bytes" + (language.limitSetting.map { " (\($0))" } ?? ""))
        }
    }

    private static func literalPatterns(_ nodes: [TemplateNode], _ visit: (String) -> Void) {
        func pipeline(_ p: TemplatePipeline) {
            for cmd in p.commands {
                if case .function(_, let f)? = cmd.first, let k = f.regexArgument, k + 1 < cmd.count, case .string(let pattern) = cmd[k + 1] {
                    visit(pattern)
                }
                for case .pipeline(let inner) in cmd { pipeline(inner) }
            }
        }
        for n in nodes {
            switch n {
            case .text: break
            case .action(let p): pipeline(p)
            case .ifBlock(let cond, let yes, let no), .withBlock(let cond, let yes, let no), .rangeBlock(let cond, _, _, let yes, let no):
                pipeline(cond)
                literalPatterns(yes, visit)
                literalPatterns(no, visit)
            }
        }
    }
}

/// One rendering: the output so far and the variables in scope.
struct TemplateRun {
    let program: TemplateProgram
    let data: any TemplateData
    var variables: [(name: String, value: TemplateValue)]
    /// Dot inside `with` and `range`; nil where it is still the data.
    var dot: TemplateValue?
    var out = ""
    var rangeIterations = 0

    init(program: TemplateProgram, data: any TemplateData, variables: [(String, TemplateValue)]) {
        self.program = program
        self.data = data
        self.variables = variables.map { (name: $0.0, value: $0.1) }
    }

    mutating func render(_ nodes: [TemplateNode]) throws(TemplateError) {
        let mark = variables.count
        defer { variables.removeSubrange(mark...) }
        for n in nodes {
            switch n {
            case .text(let s): out += s
            case .action(let p):
                let v = try eval(p)
                if case .none = p.binding { out += v.text(program.language.floats) }
            case .ifBlock(let cond, let yes, let no):
                let scope = variables.count
                let c = try eval(cond).truthy
                try render(c ? yes : no)
                variables.removeSubrange(scope...)
            case .withBlock(let p, let yes, let no):
                let scope = variables.count
                let v = try eval(p)
                if v.truthy {
                    let outer = dot
                    dot = v
                    try render(yes)
                    dot = outer
                } else {
                    try render(no)
                }
                variables.removeSubrange(scope...)
            case .rangeBlock(let p, let key, let value, let body, let no):
                try range(try eval(p), key: key, value: value, body, no)
            }
            try program.check(out.utf8.count)
        }
    }

    /// Label sets are the only collections, and bounded: a range never runs away.
    mutating func range(_ v: TemplateValue, key: String?, value: String?, _ body: [TemplateNode], _ no: [TemplateNode]) throws(TemplateError) {
        let entries: [String: String]
        switch v {
        case .map(let m): entries = m
        case .null: entries = [:]
        default: throw .execution("range can't iterate over \(v.text(program.language.floats))")
        }
        if entries.isEmpty { return try render(no) }
        let outer = dot
        let scope = variables.count
        for k in entries.keys.sorted() {
            rangeIterations += 1
            guard rangeIterations <= Template.maxRangeIterations else {
                throw .execution("range iterations exceed the limit of \(Template.maxRangeIterations)")
            }
            let v = TemplateValue.string(entries[k]!)
            dot = v
            if let key { variables.append((key, .string(k))) }
            if let value { variables.append((value, v)) }
            try render(body)
            try program.check(out.utf8.count)
            variables.removeSubrange(scope...)
        }
        dot = outer
    }

    mutating func eval(_ p: TemplatePipeline) throws(TemplateError) -> TemplateValue {
        var prev: TemplateValue?
        for cmd in p.commands {
            guard let first = cmd.first else { continue }
            if case .function(let name, let f) = first {
                var args: [TemplateValue] = []
                args.reserveCapacity(cmd.count)
                for op in cmd.dropFirst() { args.append(try operand(op)) }
                if let prev { args.append(prev) }
                prev = try f.body(TemplateCall(name: name, args: args, data: data, program: program))
            } else {
                guard cmd.count == 1, prev == nil else { throw .execution("can't give argument to non-function") }
                prev = try operand(first)
            }
        }
        let value = prev ?? .null
        switch p.binding {
        case .none: break
        case .declare(let name): variables.append((name, value))
        case .assign(let name):
            if let k = variables.lastIndex(where: { $0.name == name }) { variables[k].value = value } else { variables.append((name, value)) }
        }
        return value
    }

    mutating func operand(_ o: TemplateOperand) throws(TemplateError) -> TemplateValue {
        switch o {
        case .field(let path):
            if let dot { return try dot.field(path) }
            return try data.field(path)
        case .dot: return dot ?? data.dot
        case .variable(let name, let path):
            if name.isEmpty { return path.isEmpty ? data.dot : try data.field(path) }
            let base = variables.last { $0.name == name }?.value ?? .null
            return try base.field(path)
        case .string(let s): return .string(s)
        case .int(let v): return .int(v)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .function(let name, let f): return try f.body(TemplateCall(name: name, args: [], data: data, program: program))
        case .pipeline(let p): return try eval(p)
        }
    }
}

extension TemplateValue {
    /// `.a.b` on this value: keys of a label set, a missing key being Go's `<no value>`.
    public func field(_ path: some Sequence<String>) throws(TemplateError) -> TemplateValue {
        var v = self
        for key in path {
            guard case .map(let m) = v else { throw .execution("can't evaluate field \(key)") }
            v = m[key].map { .string($0) } ?? .null
        }
        return v
    }
}
