public import KansokuCore

/// The query language of an expression: rules and SLIs may be PromQL over the metric store
/// or LogQL metric queries over the log store.
public enum QueryLanguage: String, Sendable, Hashable, Codable {
    case promql
    case logql
}

/// How an SLI measures errors. Query templates hold `{{.window}}` where the window goes.
public enum SLIQuery: Sendable, Hashable {
    /// Error events and total events; the error ratio is their quotient.
    case events(errorQuery: String, totalQuery: String)
    /// A query returning the error ratio itself.
    case raw(errorRatioQuery: String)
}

/// An SLI: its queries and the language they are written in.
public struct SLISpec: Sendable, Hashable {
    public var query: SLIQuery
    public var language: QueryLanguage
    /// Log tenant for LogQL SLIs (`fake` when tenancy is off, as Loki does).
    public var tenant: String?

    public init(query: SLIQuery, language: QueryLanguage = .promql, tenant: String? = nil) {
        self.query = query
        self.language = language
        self.tenant = tenant
    }

    /// The template with `{{.window}}` (and its spaced variants) replaced by `window`.
    public static func render(_ template: String, window: String) -> String {
        var out = template
        for spelling in ["{{.window}}", "{{ .window }}", "{{ .window}}", "{{.window }}"] {
            out = out.replacing(spelling, with: window)
        }
        return out
    }
}

/// Page or ticket alert settings of an SLO.
public struct SLOAlertSeveritySpec: Sendable, Hashable {
    public var disable = false
    public var labels: [String: String] = [:]
    public var annotations: [String: String] = [:]

    public init(disable: Bool = false, labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.disable = disable
        self.labels = labels
        self.annotations = annotations
    }
}

/// The `alerting` block of an SLO.
public struct SLOAlertingSpec: Sendable, Hashable {
    public var name = ""
    public var labels: [String: String] = [:]
    public var annotations: [String: String] = [:]
    public var page = SLOAlertSeveritySpec()
    public var ticket = SLOAlertSeveritySpec()

    public init() {}
}

/// Where an SLO came from; decides the `sloth_mode`/`sloth_spec` info labels and the shape of
/// generated output (plain rule groups or a PrometheusRule object).
public enum SLOSourceFormat: Sendable, Hashable {
    /// Sloth `version: prometheus/v1`.
    case prometheusV1
    /// Sloth `sloth.slok.dev/v1` `PrometheusServiceLevel` custom resource.
    case kubernetes(KubernetesMetadata)
    /// OpenSLO `SLO` document (`openslo/v1alpha` or `openslo/v1`).
    case openSLO(apiVersion: String)

    public var slothMode: String {
        switch self {
        case .prometheusV1: "cli-gen-prom"
        case .kubernetes: "cli-gen-k8s"
        case .openSLO: "cli-gen-openslo"
        }
    }

    public var specName: String {
        switch self {
        case .prometheusV1: "prometheus/v1"
        case .kubernetes: "sloth.slok.dev/v1"
        case .openSLO(let v): v
        }
    }
}

/// `metadata` of a Kubernetes object, carried into the generated PrometheusRule.
public struct KubernetesMetadata: Sendable, Hashable {
    public var name: String
    public var namespace: String?
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(name: String, namespace: String? = nil, labels: [String: String] = [:], annotations: [String: String] = [:]) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

/// Options of the built-in SLO plugins a spec enabled (`sloth.dev/core/sli_rules/v1` ...).
public struct SLOPluginOptions: Sendable, Hashable {
    /// Render the period SLI from raw data instead of averaging the 5m series.
    public var disableOptimizedPeriod = false
    /// The spec declares its queries MetricsQL (VictoriaMetrics), not PromQL.
    public var metricsQL = false
    /// Extra labels of `sloth_slo_info` (`sloth.dev/contrib/info_labels/v1`).
    public var infoLabels: [String: String] = [:]
    /// Evaluation interval of the generated groups (`sloth.dev/contrib/rule_intervals/v1`).
    public var ruleInterval: PromDuration?

    public init() {}
}

/// One SLO, fully resolved: what the generator and the evaluator work from.
public struct SLOSpec: Sendable, Hashable, Identifiable {
    /// `<service>-<name>` (Sloth's `sloth_id`).
    public var id: String
    public var service: String
    public var name: String
    public var description: String
    /// Target in percent, e.g. 99.9.
    public var objective: Double
    public var period: PromDuration
    /// Service labels merged with SLO labels (SLO labels win).
    public var labels: [String: String]
    public var sli: SLISpec
    public var alerting: SLOAlertingSpec
    public var source: SLOSourceFormat
    public var plugins = SLOPluginOptions()
    /// Where the SLO is written, for messages.
    public var file: String?
    public var position: SourcePosition

    public init(
        id: String, service: String, name: String, description: String = "", objective: Double,
        period: PromDuration = .days(30), labels: [String: String] = [:], sli: SLISpec,
        alerting: SLOAlertingSpec = SLOAlertingSpec(), source: SLOSourceFormat = .prometheusV1,
        file: String? = nil, position: SourcePosition = SourcePosition(line: 1, column: 1)
    ) {
        self.id = id
        self.service = service
        self.name = name
        self.description = description
        self.objective = objective
        self.period = period
        self.labels = labels
        self.sli = sli
        self.alerting = alerting
        self.source = source
        self.file = file
        self.position = position
    }

    /// The objective as a ratio (99.9 → 0.999, computed as Sloth does).
    public var objectiveRatio: Double { objective / 100 }
    /// The error budget as a ratio, `(100 - objective) / 100` (99.9 → 0.0009999999999999432).
    public var errorBudgetRatio: Double { (100 - objective) / 100 }

    /// `sloth_id`, `sloth_service`, `sloth_slo`: the labels that identify the SLO's series.
    public var identityLabels: [String: String] {
        ["sloth_id": id, "sloth_service": service, "sloth_slo": name]
    }
}

/// One loaded spec file or document: its SLOs and the source format, so generation can
/// reproduce the document structure.
public struct SLODocument: Sendable, Hashable {
    public var source: SLOSourceFormat
    public var slos: [SLOSpec]
    public var file: String?
    /// Non-fatal findings, such as unknown fields.
    public var warnings: [SpecIssue] = []

    public init(source: SLOSourceFormat, slos: [SLOSpec], file: String?, warnings: [SpecIssue] = []) {
        self.source = source
        self.slos = slos
        self.file = file
        self.warnings = warnings
    }
}

extension PromDuration {
    public static func days(_ n: Int64) -> PromDuration { PromDuration(milliseconds: n * 86_400_000) }
    public static func hours(_ n: Int64) -> PromDuration { PromDuration(milliseconds: n * 3_600_000) }
    public static func minutes(_ n: Int64) -> PromDuration { PromDuration(milliseconds: n * 60_000) }

    /// Prometheus's `model.Duration` spelling: years and weeks only when exact, so 30d stays
    /// `30d`, 28d is `4w` and 24h is `1d`.
    public var prometheusString: String {
        var ms = milliseconds
        if ms == 0 { return "0s" }
        var out = ""
        if ms < 0 { out = "-"; ms = -ms }
        let units: [(String, Int64, Bool)] = [
            ("y", 365 * 86_400_000, true), ("w", 7 * 86_400_000, true), ("d", 86_400_000, false),
            ("h", 3_600_000, false), ("m", 60_000, false), ("s", 1000, false), ("ms", 1, false),
        ]
        for (unit, mult, exact) in units {
            if exact && ms % mult != 0 { continue }
            let v = ms / mult
            if v > 0 {
                out += "\(v)\(unit)"
                ms -= v * mult
            }
        }
        return out
    }
}

