import KansokuCore
import Yams

/// Reads the body of a Sloth spec: `prometheus/v1` (snake_case keys) or the `spec` of a
/// `PrometheusServiceLevel` resource (camelCase keys), with Kansoku's `sli.logql` extension.
struct SlothSpecReader {
    var options: SLOLoadOptions
    var camelCase: Bool

    /// The key as spelt in this variant (`error_query` or `errorQuery`).
    private func key(_ snake: String) -> String {
        guard camelCase else { return snake }
        var out = ""
        var upper = false
        for c in snake {
            if c == "_" { upper = true; continue }
            out += upper ? c.uppercased() : String(c)
            upper = false
        }
        return out
    }

    /// SLO plugins Kansoku runs natively. Sloth's core plugins are its default rule
    /// generators, `debug` only logs, and the VictoriaMetrics validator swaps PromQL checks for
    /// MetricsQL ones (so PromQL validation is skipped).
    static let knownSLOPlugins: Set<String> = [
        "sloth.dev/core/debug/v1", "sloth.dev/core/sli_rules/v1", "sloth.dev/core/metadata_rules/v1",
        "sloth.dev/core/alert_rules/v1", "sloth.dev/core/validate/v1", "sloth.dev/contrib/validate_victoria_metrics/v1",
        "sloth.dev/contrib/info_labels/v1", "sloth.dev/contrib/rule_intervals/v1",
    ]

    func read(_ root: Node.Mapping, source: SLOSourceFormat, doc: Node, walker w: inout YAMLWalker) -> SLODocument? {
        let rootKeys: Set<String> = camelCase
            ? ["service", "labels", "slos", "sloPlugins"]
            : ["version", "service", "labels", "slos", "slo_plugins"]
        w.rejectUnknownKeys(root, known: rootKeys, in: camelCase ? "spec" : "spec file")
        guard let service = w.string(root["service"], "service"), isValidSLOName(service) else {
            w.fail(root["service"] ?? doc, "service is required and may hold only letters, digits, '-', '_', '.' and ':'")
            return nil
        }
        var serviceLabels: [String: String] = [:]
        for l in w.stringMap(root["labels"], "labels") { serviceLabels[l.key] = l.value }
        var docPlugins = SLOPluginOptions()
        var docSkipValidation = false
        readPlugins(root[key("slo_plugins")], into: &docPlugins, skipValidation: &docSkipValidation, walker: &w)

        let slos = w.sequence(root["slos"], "slos")
        if slos.isEmpty { w.fail(root["slos"] ?? doc, "at least one SLO is required in slos") }
        var out: [SLOSpec] = []
        for node in slos {
            guard let m = w.mapping(node, "SLO") else { continue }
            w.rejectUnknownKeys(m, known: ["name", "objective", "description", "labels", "sli", "alerting", "plugins"], in: "SLO")
            guard let name = w.string(m["name"], "name"), isValidSLOName(name) else {
                w.fail(m["name"] ?? node, "SLO name is required and may hold only letters, digits, '-', '_', '.' and ':'")
                continue
            }
            guard let objective = w.number(m["objective"], "objective") else {
                if m["objective"] == nil { w.fail(node, "SLO \(goQuoted(name)): objective is required") }
                continue
            }
            var labels = serviceLabels
            for l in w.stringMap(m["labels"], "labels") { labels[l.key] = l.value }
            for (k, v) in options.extraLabels { labels[k] = v }
            guard let sli = readSLI(m["sli"], sloName: name, node: node, walker: &w) else { continue }
            var plugins = docPlugins
            var skipValidation = docSkipValidation
            readPlugins(m["plugins"], into: &plugins, skipValidation: &skipValidation, walker: &w)
            var slo = SLOSpec(
                id: "\(service)-\(name)", service: service, name: name,
                description: m["description"]?.string ?? "", objective: objective,
                period: options.defaultPeriod, labels: labels, sli: sli,
                alerting: readAlerting(m["alerting"], walker: &w), source: source,
                file: w.file, position: YAMLWalker.position(of: node))
            slo.plugins = plugins
            var opts = options
            if skipValidation { opts.queryValidator = nil }
            SLOSpecLoader.validate(slo, node: node, options: opts, walker: &w)
            out.append(slo)
        }
        return SLODocument(source: source, slos: out, file: w.file)
    }

    private func readSLI(_ node: Node?, sloName: String, node sloNode: Node, walker w: inout YAMLWalker) -> SLISpec? {
        guard let node, let m = w.mapping(node, "sli") else {
            w.fail(node ?? sloNode, "SLO \(goQuoted(sloName)): sli is required (events, raw or logql)")
            return nil
        }
        w.rejectUnknownKeys(m, known: ["events", "raw", "plugin", "logql"], in: "sli")
        let present = ["events", "raw", "plugin", "logql"].filter { m[$0] != nil }
        guard present.count == 1 else {
            w.fail(node, present.isEmpty
                ? "SLO \(goQuoted(sloName)): sli needs one of events, raw, logql or plugin"
                : "SLO \(goQuoted(sloName)): sli must have exactly one of events, raw, logql or plugin, got \(present.joined(separator: " and "))")
            return nil
        }
        switch present[0] {
        case "events":
            guard let e = w.mapping(m["events"], "sli.events") else { return nil }
            w.rejectUnknownKeys(e, known: [key("error_query"), key("total_query")], in: "sli.events")
            return readEvents(e, at: m["events"]!, sloName: sloName, language: .promql, tenant: nil, walker: &w)
        case "raw":
            guard let r = w.mapping(m["raw"], "sli.raw") else { return nil }
            w.rejectUnknownKeys(r, known: [key("error_ratio_query")], in: "sli.raw")
            guard let q = w.string(r[key("error_ratio_query")], key("error_ratio_query")) else {
                w.fail(m["raw"], "SLO \(goQuoted(sloName)): sli.raw.\(key("error_ratio_query")) is required")
                return nil
            }
            return SLISpec(query: .raw(errorRatioQuery: q))
        case "logql":
            guard let l = w.mapping(m["logql"], "sli.logql") else { return nil }
            w.rejectUnknownKeys(l, known: [key("error_query"), key("total_query"), key("error_ratio_query"), "tenant"], in: "sli.logql")
            let tenant = w.string(l["tenant"], "sli.logql.tenant")
            if let raw = l[key("error_ratio_query")] {
                if l[key("error_query")] != nil || l[key("total_query")] != nil {
                    w.fail(raw, "SLO \(goQuoted(sloName)): sli.logql takes either \(key("error_ratio_query")) or \(key("error_query"))/\(key("total_query")), not both")
                    return nil
                }
                guard let q = w.string(raw, key("error_ratio_query")) else { return nil }
                return SLISpec(query: .raw(errorRatioQuery: q), language: .logql, tenant: tenant)
            }
            return readEvents(l, at: m["logql"]!, sloName: sloName, language: .logql, tenant: tenant, walker: &w)
        default:
            let p = w.mapping(m["plugin"], "sli.plugin")
            let id = p?["id"]?.string ?? ""
            w.fail(m["plugin"], "SLO \(goQuoted(sloName)): SLI plugin \(goQuoted(id)) is not available: Sloth SLI plugins are Go code; write the SLI as events, raw or logql queries")
            return nil
        }
    }

    private func readEvents(_ e: Node.Mapping, at node: Node, sloName: String, language: QueryLanguage, tenant: String?, walker w: inout YAMLWalker) -> SLISpec? {
        let errorQuery = w.string(e[key("error_query")], key("error_query"))
        let totalQuery = w.string(e[key("total_query")], key("total_query"))
        if errorQuery == nil { w.fail(node, "SLO \(goQuoted(sloName)): \(key("error_query")) is required") }
        if totalQuery == nil { w.fail(node, "SLO \(goQuoted(sloName)): \(key("total_query")) is required") }
        guard let errorQuery, let totalQuery else { return nil }
        return SLISpec(query: .events(errorQuery: errorQuery, totalQuery: totalQuery), language: language, tenant: tenant)
    }

    private func readAlerting(_ node: Node?, walker w: inout YAMLWalker) -> SLOAlertingSpec {
        var a = SLOAlertingSpec()
        guard let m = w.mapping(node, "alerting") else {
            // No alerting block: Sloth generates no alerts for the SLO.
            a.page.disable = true
            a.ticket.disable = true
            return a
        }
        w.rejectUnknownKeys(m, known: ["name", "labels", "annotations", key("page_alert"), key("ticket_alert")], in: "alerting")
        a.name = w.string(m["name"], "alerting.name") ?? ""
        for l in w.stringMap(m["labels"], "alerting.labels") { a.labels[l.key] = l.value }
        for l in w.stringMap(m["annotations"], "alerting.annotations") { a.annotations[l.key] = l.value }
        a.page = readSeverity(m[key("page_alert")], "alerting.\(key("page_alert"))", walker: &w)
        a.ticket = readSeverity(m[key("ticket_alert")], "alerting.\(key("ticket_alert"))", walker: &w)
        return a
    }

    private func readSeverity(_ node: Node?, _ path: String, walker w: inout YAMLWalker) -> SLOAlertSeveritySpec {
        var s = SLOAlertSeveritySpec()
        guard let m = w.mapping(node, path) else { return s }
        w.rejectUnknownKeys(m, known: ["disable", "labels", "annotations"], in: path)
        s.disable = w.bool(m["disable"], "\(path).disable") ?? false
        for l in w.stringMap(m["labels"], "\(path).labels") { s.labels[l.key] = l.value }
        for l in w.stringMap(m["annotations"], "\(path).annotations") { s.annotations[l.key] = l.value }
        return s
    }

    private func readPlugins(_ node: Node?, into opts: inout SLOPluginOptions, skipValidation: inout Bool, walker w: inout YAMLWalker) {
        guard let m = w.mapping(node, "plugins") else { return }
        w.rejectUnknownKeys(m, known: ["chain", "overridePrevious", "overrides_default_plugins", "override_previous"], in: "plugins")
        for p in w.sequence(m["chain"], "plugins.chain") {
            guard let pm = w.mapping(p, "plugin"), let id = pm["id"]?.string else {
                w.fail(p, "plugin id is required")
                continue
            }
            guard Self.knownSLOPlugins.contains(id) else {
                w.fail(pm["id"], "SLO plugin \(goQuoted(id)) is not available (built in: \(Self.knownSLOPlugins.sorted().joined(separator: ", ")))")
                continue
            }
            if id == "sloth.dev/contrib/validate_victoria_metrics/v1" {
                skipValidation = true
                opts.metricsQL = true
            }
            if id == "sloth.dev/contrib/info_labels/v1" {
                for l in w.stringMap(pm["config"]?.mapping?["labels"], "config.labels") { opts.infoLabels[l.key] = l.value }
            }
            if id == "sloth.dev/contrib/rule_intervals/v1" {
                let node = pm["config"]?.mapping?["interval"]?.mapping?["default"]
                if let text = node?.string, let d = PromDuration(text), d.milliseconds > 0 {
                    opts.ruleInterval = d
                } else {
                    w.fail(pm["config"] ?? p, "rule_intervals plugin needs config.interval.default, a duration such as 5m")
                }
            }
            if id == "sloth.dev/core/sli_rules/v1", let cfg = pm["config"]?.mapping, let d = cfg["disableOptimized"] {
                opts.disableOptimizedPeriod = w.bool(d, "disableOptimized") ?? false
            }
        }
    }
}
