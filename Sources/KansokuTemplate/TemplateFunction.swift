public import KansokuCore

/// What a template reads besides its variables: `.` and its fields.
public protocol TemplateData {
    /// `.` (and `$`) printed or passed as a value.
    var dot: TemplateValue { get }
    /// `.a.b` (and `$.a.b`): `path` is never empty.
    func field(_ path: [String]) throws(TemplateError) -> TemplateValue
}

/// One function a template may call. A language's function table maps names to these.
public struct TemplateFunction: Sendable {
    public typealias Body = @Sendable (TemplateCall) throws(TemplateError) -> TemplateValue

    /// Which argument is a regular expression: when the template writes it as a string
    /// literal it is compiled once, with the template.
    public let regexArgument: Int?
    let body: Body

    public init(regexArgument: Int? = nil, _ body: @escaping Body) {
        self.regexArgument = regexArgument
        self.body = body
    }
}

/// The functions and predefined variables one template language offers on top of Go's
/// builtins (`and`, `eq`, `printf`, `len`, …).
public struct TemplateLanguage: Sendable {
    public let functions: [String: TemplateFunction]
    /// Variables every template of the language may read (`$labels`), without the `$`.
    public let variables: Set<String>
    public let floats: FloatLayout
    /// The setting that raises the output bound, named in its error (nil: none).
    public let limitSetting: String?

    /// `functions` override builtins of the same name.
    public init(functions: [String: TemplateFunction], variables: Set<String> = [], floats: FloatLayout, limitSetting: String? = nil) {
        self.functions = TemplateBuiltins.functions.merging(functions) { $1 }
        self.variables = variables
        self.floats = floats
        self.limitSetting = limitSetting
    }
}

/// A call in progress: the function's arguments (a piped value last), the data the template
/// runs on, and the bounds every function keeps.
public struct TemplateCall {
    public let name: String
    public let args: [TemplateValue]
    public let data: any TemplateData
    let program: TemplateProgram

    /// The most bytes one rendering, or any value built on the way, may hold.
    public var outputLimit: Int { program.outputLimit }

    public func arg(_ i: Int) throws(TemplateError) -> TemplateValue {
        guard i < args.count else { throw .execution("wrong number of args for \(name)") }
        return args[i]
    }

    /// Argument `i` as text.
    public func string(_ i: Int) throws(TemplateError) -> String { text(try arg(i)) }

    /// A value as this template prints it.
    public func text(_ v: TemplateValue) -> String { v.text(program.language.floats) }

    public func number(_ i: Int) throws(TemplateError) -> Double {
        let v = try arg(i)
        guard let d = v.asDouble else { throw .execution("\(name): cannot convert \(goQuoted(text(v))) to a number") }
        return d
    }

    public func int(_ i: Int) throws(TemplateError) -> Int64 {
        let v = try arg(i)
        guard let n = v.asInt else { throw .execution("\(name): cannot convert \(goQuoted(text(v))) to an integer") }
        return n
    }

    /// Refuses a value of `bytes` before it is built.
    public func check(_ bytes: Int) throws(TemplateError) { try program.check(bytes) }

    /// As `check`, for a product of two counts that may itself overflow.
    public func check(_ count: Int, times size: Int) throws(TemplateError) {
        let (n, overflow) = count.multipliedReportingOverflow(by: max(size, 1))
        try check(overflow ? .max : n)
    }

    /// The compiled `pattern`: from the template when it wrote the pattern as a literal.
    public func regex(_ pattern: String) throws(TemplateError) -> RE2Regex {
        if let re = program.regexes[pattern] { return re }
        do { return try RE2Regex(pattern) } catch {
            throw .execution("invalid regexp \(goQuoted(pattern)): \(error.message)")
        }
    }
}
