import KansokuCore
import Yams

/// Reads OpenSLO `SLO` documents with ratio metrics. Each objective becomes one SLO with id
/// `<service>-<name>-<objective index>`, as Sloth maps them.
///
/// - `openslo/v1alpha` (what Sloth reads): `objectives[].ratioMetrics {good|bad, total}` with
///   `query`, `target` in [0, 1); `timeWindows: [{count, unit: Day}]`, which must equal the
///   default period as Sloth requires.
/// - `openslo/v1`: `indicator.spec.ratioMetric {good|bad, total}` with
///   `metricSource {type, spec: {query}}` (`type: loki` makes a LogQL SLI), objectives with
///   `target` or `targetPercent`, `timeWindow: [{duration: 28d, isRolling: true}]`.
///
/// A good/total SLI becomes the raw error ratio `1 - (good / total)`; bad/total stays events.
enum OpenSLOReader {
    static func read(_ root: Node.Mapping, apiVersion: String, doc: Node, options: SLOLoadOptions, walker w: inout YAMLWalker) -> SLODocument? {
        guard let md = w.mapping(root["metadata"], "metadata"), let name = md["name"]?.string, isValidSLOName(name) else {
            w.fail(root["metadata"] ?? doc, "metadata.name is required (letters, digits, '-', '_', '.')")
            return nil
        }
        guard let spec = w.mapping(root["spec"], "spec") else {
            w.fail(doc, "spec is required")
            return nil
        }
        guard let service = spec["service"]?.string, isValidSLOName(service) else {
            w.fail(spec["service"] ?? doc, "spec.service is required")
            return nil
        }
        let description = spec["description"]?.string ?? ""
        let v1 = apiVersion == "openslo/v1"
        guard let period = readPeriod(spec, v1: v1, doc: doc, options: options, walker: &w) else { return nil }
        if let bm = spec["budgetingMethod"]?.string, bm != "Occurrences" {
            w.fail(spec["budgetingMethod"], "budgetingMethod \(goQuoted(bm)) is not supported (only Occurrences)")
        }

        var sharedSLI: SLISpec?
        if v1 {
            if spec["indicatorRef"] != nil {
                w.fail(spec["indicatorRef"], "indicatorRef is not supported; inline the SLI as spec.indicator")
                return nil
            }
            guard let ind = w.mapping(spec["indicator"], "spec.indicator"), let ispec = w.mapping(ind["spec"], "spec.indicator.spec"),
                  let ratio = w.mapping(ispec["ratioMetric"], "spec.indicator.spec.ratioMetric") else {
                w.fail(spec["indicator"] ?? doc, "spec.indicator.spec.ratioMetric is required (threshold metrics are not supported)")
                return nil
            }
            sharedSLI = readRatio(ratio, at: ispec["ratioMetric"]!, v1: true, walker: &w)
            if sharedSLI == nil { return nil }
        }

        var slos: [SLOSpec] = []
        let objectives = w.sequence(spec["objectives"], "spec.objectives")
        if objectives.isEmpty { w.fail(spec["objectives"] ?? doc, "spec.objectives needs at least one objective") }
        for (i, node) in objectives.enumerated() {
            guard let o = w.mapping(node, "objective") else { continue }
            var sli = sharedSLI
            if !v1 {
                guard let ratio = w.mapping(o["ratioMetrics"], "ratioMetrics") else {
                    w.fail(node, "objective \(i): ratioMetrics is required")
                    continue
                }
                sli = readRatio(ratio, at: o["ratioMetrics"]!, v1: false, walker: &w)
            }
            guard let sli else { continue }
            var objective: Double?
            if let t = o["target"] {
                if let v = w.number(t, "target") {
                    if !(v >= 0 && v < 1) { w.fail(t, "objective \(i): target must be in [0, 1), got \(GoFloat.shortest(v))") }
                    objective = v * 100
                }
            } else if let t = o["targetPercent"] {
                objective = w.number(t, "targetPercent")
            } else {
                w.fail(node, "objective \(i): target (or targetPercent) is required")
            }
            guard let objective else { continue }
            let sloName = "\(name)-\(i)"
            var labels: [String: String] = [:]
            for l in w.stringMap(md["labels"], "metadata.labels") { labels[l.key] = l.value }
            for (k, v) in options.extraLabels { labels[k] = v }
            let slo = SLOSpec(
                id: "\(service)-\(sloName)", service: service, name: sloName, description: description,
                objective: objective, period: period, labels: labels, sli: sli,
                alerting: { var a = SLOAlertingSpec(); a.page.disable = true; a.ticket.disable = true; return a }(),
                source: .openSLO(apiVersion: apiVersion), file: w.file, position: YAMLWalker.position(of: node))
            SLOSpecLoader.validate(slo, node: node, options: options, walker: &w)
            slos.append(slo)
        }
        return SLODocument(source: .openSLO(apiVersion: apiVersion), slos: slos, file: w.file)
    }

    private static func readPeriod(_ spec: Node.Mapping, v1: Bool, doc: Node, options: SLOLoadOptions, walker w: inout YAMLWalker) -> PromDuration? {
        if v1 {
            let windows = w.sequence(spec["timeWindow"], "spec.timeWindow")
            guard windows.count == 1, let m = w.mapping(windows[0], "timeWindow"),
                  let d = m["duration"]?.string, let period = parseOpenSLODuration(d) else {
                w.fail(spec["timeWindow"] ?? doc, "spec.timeWindow must hold one window with a duration such as 30d or 4w")
                return nil
            }
            if m["calendar"] != nil { w.fail(m["calendar"], "calendar-aligned time windows are not supported; use isRolling: true") }
            return period
        }
        let windows = w.sequence(spec["timeWindows"], "spec.timeWindows")
        guard windows.count == 1, let m = w.mapping(windows[0], "timeWindows"),
              let count = m["count"]?.int, let unit = m["unit"]?.string else {
            w.fail(spec["timeWindows"] ?? doc, "spec.timeWindows must hold one window with count and unit")
            return nil
        }
        guard unit.lowercased() == "day" else {
            w.fail(m["unit"], "time window unit must be Day, got \(goQuoted(unit))")
            return nil
        }
        let period = PromDuration.days(Int64(count))
        guard period == options.defaultPeriod else {
            w.fail(m["count"], "only \(options.defaultPeriod.milliseconds / 86_400_000) day rolling time windows are supported (the default SLO period), got \(count)")
            return nil
        }
        return period
    }

    /// OpenSLO durations: `<int><m|h|d|w|M|Q|Y>` (months 30d, quarters 90d, years 365d).
    static func parseOpenSLODuration(_ s: String) -> PromDuration? {
        guard let unit = s.last, let n = Int64(s.dropLast()), n > 0 else { return nil }
        switch unit {
        case "m": return .minutes(n)
        case "h": return .hours(n)
        case "d": return .days(n)
        case "w": return .days(7 * n)
        case "M": return .days(30 * n)
        case "Q": return .days(90 * n)
        case "Y": return .days(365 * n)
        default: return nil
        }
    }

    private static func readRatio(_ ratio: Node.Mapping, at node: Node, v1: Bool, walker w: inout YAMLWalker) -> SLISpec? {
        func query(_ key: String) -> (String, QueryLanguage)? {
            guard let part = ratio[key] else { return nil }
            guard let m = w.mapping(part, key) else { return nil }
            if v1 {
                guard let ms = w.mapping(m["metricSource"], "\(key).metricSource"), let spec = w.mapping(ms["spec"], "\(key).metricSource.spec"),
                      let q = spec["query"]?.string else {
                    w.fail(part, "\(key).metricSource.spec.query is required")
                    return nil
                }
                let type = (ms["type"]?.string ?? "prometheus").lowercased()
                return (q, type == "loki" || type == "logql" ? .logql : .promql)
            }
            guard let q = m["query"]?.string else {
                w.fail(part, "\(key).query is required")
                return nil
            }
            let qt = (m["queryType"]?.string ?? "promql").lowercased()
            return (q, qt == "logql" ? .logql : .promql)
        }
        guard let (total, lang) = query("total") else {
            w.fail(node, "ratio metric needs total")
            return nil
        }
        if let (good, _) = query("good") {
            let raw = "\n  1 - (\n    (\n      \(good)\n    )\n    /\n    (\n      \(total)\n    )\n  )\n"
            return SLISpec(query: .raw(errorRatioQuery: raw), language: lang)
        }
        if let (bad, _) = query("bad") {
            return SLISpec(query: .events(errorQuery: bad, totalQuery: total), language: lang)
        }
        w.fail(node, "ratio metric needs good or bad beside total")
        return nil
    }
}
