import Foundation
public import KansokuTemplate

/// An alert label or annotation template, as Prometheus writes them: Go's `text/template`
/// with `$labels`, `$value`, `$externalLabels`, `$externalURL` (and `.Labels`, `.Value`, …)
/// and Prometheus's functions (`humanize`, `reReplaceAll`, …). Compiled once, expanded at
/// every evaluation.
public struct AlertTemplate: Sendable {
    /// The most bytes one expansion may produce: an annotation is a message, not a payload.
    public static let maxOutputBytes = 1 << 20

    let template: Template

    public var source: String { template.source }

    public init(_ source: String) throws(TemplateError) {
        template = try Template(source, language: PrometheusTemplateFunctions.language, outputLimit: Self.maxOutputBytes)
    }

    /// What a template may read.
    public struct Data: Sendable, TemplateData {
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

        /// `.` is the alert: it has fields, not a printable value of its own.
        public var dot: TemplateValue { .null }

        /// `.Labels.x`, `.Value`, `.ExternalLabels.x`, `.ExternalURL`.
        public func field(_ path: [String]) throws(TemplateError) -> TemplateValue {
            let base: TemplateValue
            switch path[0] {
            case "Labels": base = .map(labels)
            case "ExternalLabels": base = .map(externalLabels)
            case "ExternalURL": base = .string(externalURL)
            case "Value": base = .float(value)
            default: throw .execution("can't evaluate field \(path[0])")
            }
            return try base.field(path.dropFirst())
        }

        /// Prometheus's preamble: `$labels := .Labels`, `$value := .Value`, ….
        var variables: [(String, TemplateValue)] {
            [("labels", .map(labels)), ("externalLabels", .map(externalLabels)), ("externalURL", .string(externalURL)), ("value", .float(value))]
        }
    }

    /// Expands the template; an error names what failed, as Prometheus puts it into the
    /// annotation (`<error expanding template: …>`).
    public func expand(_ data: Data) -> String {
        do throws(TemplateError) {
            return try template.render(data, variables: data.variables)
        } catch {
            return "<error expanding template: \(error)>"
        }
    }
}
