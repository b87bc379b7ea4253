import KansokuCore
import KansokuTemplate

/// A `line_format` or `label_format` template: Go's `text/template` over the entry's labels
/// (`{{.label}}`, a missing one empty), with Loki's functions (`__line__`, `regexReplaceAll`,
/// …), compiled once per query.
struct LineTemplate: Sendable {
    let template: Template

    var source: String { template.source }

    init(_ text: String, outputLimit: Int = LogQLLimits.current.maxTemplateOutputBytes) throws(LogQLError) {
        do {
            template = try Template(text, language: LokiTemplateFunctions.language, outputLimit: outputLimit)
        } catch {
            throw .execution("template: \(error)")
        }
    }

    /// Renders with `labels`, the current line and timestamp.
    func render(labels: [String: String], line: String, timestamp: Int64) -> Result<String, TemplateError> {
        do throws(TemplateError) {
            return .success(try template.render(LogLineData(labels: labels, line: line, timestamp: timestamp)))
        } catch {
            return .failure(error)
        }
    }
}

/// The entry a `line_format` template runs on: `.` is its label set.
struct LogLineData: TemplateData {
    let labels: [String: String]
    let line: String
    let timestamp: Int64

    var dot: TemplateValue { .map(labels) }

    func field(_ path: [String]) -> TemplateValue {
        guard path.count == 1 else { return .string("") }
        return .string(labels[path[0]] ?? "")
    }
}
