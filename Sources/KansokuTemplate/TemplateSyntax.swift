/// The parsed form of a template.
indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    /// `{{if}}`: an `{{else if}}` is an `ifBlock` alone in the `no` branch.
    case ifBlock(TemplatePipeline, yes: [TemplateNode], no: [TemplateNode])
    /// `{{with}}`: `yes` runs with dot set to the pipeline's value when that is not empty.
    case withBlock(TemplatePipeline, yes: [TemplateNode], no: [TemplateNode])
    /// `{{range}}` over a label set: `body` once per label in name order, dot the value and
    /// the variables, if named, the name and the value; `no` when there is none.
    case rangeBlock(TemplatePipeline, key: String?, value: String?, body: [TemplateNode], no: [TemplateNode])
}

/// `$x := cmd arg | cmd | …`: commands whose value feeds the next as its last argument.
struct TemplatePipeline: Sendable {
    enum Binding: Sendable { case none, declare(String), assign(String) }
    var binding: Binding = .none
    var commands: [[TemplateOperand]]
}

indirect enum TemplateOperand: Sendable {
    /// `.a.b` on dot.
    case field([String])
    case dot
    /// `$name.a.b`; `$` alone (name "") is the data the template started with.
    case variable(String, [String])
    case string(String)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case null
    case function(String, TemplateFunction)
    case pipeline(TemplatePipeline)
}
