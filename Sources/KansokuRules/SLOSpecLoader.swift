public import KansokuCore
import Yams

/// Settings for reading SLO specs.
public struct SLOLoadOptions: Sendable {
    /// Period of SLOs whose format has none (Sloth's `--default-slo-period`, 30d).
    public var defaultPeriod: PromDuration = .days(30)
    /// Alert windows per period; a period without windows is rejected.
    public var windows = AlertWindowsCatalog()
    /// Extra labels added to every SLO (Sloth's `--extra-labels`).
    public var extraLabels: [String: String] = [:]
    /// Checks a rendered query; returns an error message, or nil when the query is valid.
    /// Wire the PromQL and LogQL parsers here so specs are checked as deeply as rules.
    public var queryValidator: (@Sendable (_ query: String, _ language: QueryLanguage) -> String?)?

    public init() {}
}

/// Reads SLO spec files: Sloth `prometheus/v1`, Sloth's `PrometheusServiceLevel` custom
/// resource, OpenSLO `SLO` documents, and Kansoku's LogQL SLI extension of the first two:
///
/// ```yaml
/// sli:
///   logql:                       # (k8s: errorQuery / totalQuery / errorRatioQuery)
///     error_query: sum(count_over_time({app="nginx"} | pattern `<_> "<_> <_> <_>" <status> <_>` | status=~"5.." [{{.window}}]))
///     total_query: sum(count_over_time({app="nginx"} [{{.window}}]))
///     tenant: fake               # optional, the log tenant
/// ```
///
/// Every problem of every document is collected and thrown together, each with file:line.
public enum SLOSpecLoader {
    public static func load(_ text: String, file: String?, options: SLOLoadOptions = SLOLoadOptions()) throws(SpecError) -> [SLODocument] {
        let docs: [Node]
        switch composeDocuments(text, file: file) {
        case .success(let d): docs = d
        case .failure(let e): throw e
        }
        var w = YAMLWalker(file: file)
        var out: [SLODocument] = []
        for doc in docs {
            guard let root = w.mapping(doc, "SLO spec document") else { continue }
            if let version = root["version"] {
                let v = version.string ?? ""
                if v != "prometheus/v1" {
                    w.fail(version, "unsupported version \(goQuoted(v)) (supported: prometheus/v1)")
                    continue
                }
                if let d = SlothSpecReader(options: options, camelCase: false).read(root, source: .prometheusV1, doc: doc, walker: &w) {
                    out.append(d)
                }
                continue
            }
            let apiVersion = root["apiVersion"]?.string ?? ""
            let kind = root["kind"]?.string ?? ""
            switch (apiVersion, kind) {
            case ("sloth.slok.dev/v1", "PrometheusServiceLevel"):
                guard let md = w.mapping(root["metadata"], "metadata"), let name = md["name"]?.string, !name.isEmpty else {
                    w.fail(root["metadata"] ?? doc, "metadata.name is required")
                    continue
                }
                let meta = KubernetesMetadata(
                    name: name, namespace: md["namespace"]?.string,
                    labels: Dictionary(w.stringMap(md["labels"], "metadata.labels").map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }),
                    annotations: Dictionary(w.stringMap(md["annotations"], "metadata.annotations").map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }))
                guard let spec = w.mapping(root["spec"], "spec") else {
                    w.fail(doc, "spec is required")
                    continue
                }
                if let d = SlothSpecReader(options: options, camelCase: true).read(spec, source: .kubernetes(meta), doc: doc, walker: &w) {
                    out.append(d)
                }
            case ("openslo/v1alpha", _), ("openslo/v1", _):
                if kind != "SLO" {
                    // Services, SLIs and data sources carry no rules; skip them as OpenSLO tools do.
                    continue
                }
                if let d = OpenSLOReader.read(root, apiVersion: apiVersion, doc: doc, options: options, walker: &w) {
                    out.append(d)
                }
            default:
                w.fail(root["apiVersion"] ?? doc,
                       "unknown spec: expected `version: prometheus/v1`, `apiVersion: sloth.slok.dev/v1` with `kind: PrometheusServiceLevel`, or `apiVersion: openslo/v1` with `kind: SLO`")
            }
        }
        if !w.issues.isEmpty { throw SpecError(w.issues) }
        if !w.warnings.isEmpty, !out.isEmpty { out[0].warnings = w.warnings }
        return out
    }

    /// Loads several files and also rejects SLO ids defined twice.
    public static func loadAll(_ files: [(path: String, text: String)], options: SLOLoadOptions = SLOLoadOptions()) throws(SpecError) -> [SLODocument] {
        var issues: [SpecIssue] = []
        var docs: [SLODocument] = []
        for f in files {
            do throws(SpecError) {
                docs += try load(f.text, file: f.path, options: options)
            } catch {
                issues += error.issues
            }
        }
        issues += duplicateIssues(docs)
        if !issues.isEmpty { throw SpecError(issues) }
        return docs
    }

    static func duplicateIssues(_ docs: [SLODocument]) -> [SpecIssue] {
        var seen: [String: SLOSpec] = [:]
        var issues: [SpecIssue] = []
        for slo in docs.flatMap(\.slos) {
            if let first = seen[slo.id] {
                issues.append(SpecIssue(file: slo.file, position: slo.position,
                    message: "duplicate SLO id \(goQuoted(slo.id)), first defined at \(first.file ?? "<input>"):\(first.position.line)"))
            } else {
                seen[slo.id] = slo
            }
        }
        return issues
    }

    /// Checks shared by every format once an SLO is assembled.
    static func validate(_ slo: SLOSpec, node: Node, options: SLOLoadOptions, walker w: inout YAMLWalker) {
        if !(slo.objective > 0 && slo.objective <= 100) {
            w.fail(node, "SLO \(goQuoted(slo.name)): objective must be greater than 0 and at most 100, got \(GoFloat.shortest(slo.objective))")
        }
        if options.windows.windows(for: slo.period) == nil {
            w.fail(node, "SLO \(goQuoted(slo.name)): no alert windows for period \(slo.period.prometheusString) (known: \(options.windows.byPeriod.keys.sorted().map(\.prometheusString).joined(separator: ", ")); load an AlertWindows file)")
        }
        for (k, _) in slo.labels where !isValidLabelName(k) {
            w.fail(node, "SLO \(goQuoted(slo.name)): invalid label name \(goQuoted(k))")
        }
        let alerting = slo.alerting
        if (!alerting.page.disable || !alerting.ticket.disable) && alerting.name.isEmpty {
            w.fail(node, "SLO \(goQuoted(slo.name)): alerting.name is required unless both page and ticket alerts are disabled")
        }
        for k in Array(alerting.labels.keys) + Array(alerting.page.labels.keys) + Array(alerting.ticket.labels.keys) where !isValidLabelName(k) {
            w.fail(node, "SLO \(goQuoted(slo.name)): invalid alert label name \(goQuoted(k))")
        }
        let queries: [String]
        switch slo.sli.query {
        case .events(let e, let t): queries = [e, t]
        case .raw(let r): queries = [r]
        }
        for q in queries {
            if q.trimmingSpaces.isEmpty {
                w.fail(node, "SLO \(goQuoted(slo.name)): SLI query is empty")
                continue
            }
            if !q.contains("{{.window}}") && !q.contains("{{ .window }}") {
                w.fail(node, "SLO \(goQuoted(slo.name)): SLI query must use the {{.window}} template variable: \(q.trimmingSpaces)")
                continue
            }
            if let check = options.queryValidator, let problem = check(SLISpec.render(q, window: "5m"), slo.sli.language) {
                w.fail(node, "SLO \(goQuoted(slo.name)): invalid \(slo.sli.language.rawValue) SLI query: \(problem)")
            }
        }
    }
}

/// Names of services and SLOs: what Sloth accepts in ids and rule group names.
func isValidSLOName(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.allSatisfy { b in
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 95 || b == 46 || b == 58
    }
}
