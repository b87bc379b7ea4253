import KansokuCore
import KansokuTemplate
import Yams

/// Reads Prometheus rule files (`groups:` of recording and alerting rules) with Kansoku's
/// one addition: `kansoku_language: logql|promql` on a group or a rule. Without it, each
/// expression's language is detected (a pipe or a line filter means LogQL).
public enum RuleFileParser {
    /// Checks an expression in its language; returns the problem or nil.
    public typealias ExpressionValidator = @Sendable (_ expr: String, _ language: QueryLanguage) -> String?

    public static func parse(_ text: String, file: String, validator: ExpressionValidator? = nil) throws(SpecError) -> [RuleGroupSpec] {
        let docs: [Node]
        switch composeDocuments(text, file: file) {
        case .success(let d): docs = d
        case .failure(let e): throw e
        }
        var w = YAMLWalker(file: file)
        var out: [RuleGroupSpec] = []
        var names: [String: SourcePosition] = [:]
        for doc in docs {
            guard let root = w.mapping(doc, "rule file") else { continue }
            unknownFields(root, known: ["groups"], in: "rule file", path: "", &w)
            for (gi, g) in w.sequence(root["groups"], "groups").enumerated() {
                guard let gm = w.mapping(g, "group") else { continue }
                unknownFields(gm, known: ["name", "interval", "query_offset", "limit", "labels", "rules", "kansoku_language", "tenant"],
                              in: "group", path: "groups[\(gi)].", &w)
                let pos = YAMLWalker.position(of: g)
                guard let name = w.string(gm["name"], "group name"), !name.isEmpty else {
                    w.fail(gm["name"] ?? g, "group name is required")
                    continue
                }
                if let first = names[name] {
                    w.fail(gm["name"], "group name \(goQuoted(name)) repeated in the same file (first at line \(first.line))")
                }
                names[name] = pos
                var group = RuleGroupSpec(name: name, rules: [], file: file, position: pos)
                group.interval = duration(gm["interval"], "interval", &w, allowZero: false)
                group.queryOffset = duration(gm["query_offset"], "query_offset", &w, allowZero: true)
                if let l = gm["limit"] {
                    if let n = l.int, n >= 0 { group.limit = n } else { w.fail(l, "limit must be a non-negative integer") }
                }
                for l in w.stringMap(gm["labels"], "labels") {
                    if !isValidLabelName(l.key) { w.fail(l.node, "invalid label name \(goQuoted(l.key))") }
                    group.labels[l.key] = l.value
                }
                group.language = language(gm["kansoku_language"], &w)
                if let t = gm["tenant"] { group.tenant = w.string(t, "tenant") }
                for (ri, r) in w.sequence(gm["rules"], "rules").enumerated() {
                    if let rule = parseRule(r, group: group, path: "groups[\(gi)].rules[\(ri)].", validator: validator, &w) {
                        group.rules.append(rule)
                    }
                }
                out.append(group)
            }
        }
        if !w.issues.isEmpty { throw SpecError(w.issues) }
        return out
    }

    /// Fails every key of `mapping` not in `known`, naming where it is and the field it most
    /// likely meant (Prometheus refuses unknown fields too).
    private static func unknownFields(_ mapping: Node.Mapping, known: [String], in what: String, path: String, _ w: inout YAMLWalker) {
        for (k, _) in mapping {
            let name = k.string ?? ""
            guard !known.contains(name) else { continue }
            let hint = closestName(to: name, among: known).map { ", did you mean `\($0)`?" } ?? " (expected one of: \(known.joined(separator: ", ")))"
            w.fail(k, "unknown field \(goQuoted(name)) in \(what) at \(path)\(name)\(hint)")
        }
    }

    private static func parseRule(_ node: Node, group: RuleGroupSpec, path: String, validator: ExpressionValidator?,
                                  _ w: inout YAMLWalker) -> RuleSpec? {
        guard let m = w.mapping(node, "rule") else { return nil }
        unknownFields(m, known: ["record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations", "kansoku_language"],
                      in: "rule", path: path, &w)
        let pos = YAMLWalker.position(of: node)
        let record = w.string(m["record"], "record"), alert = w.string(m["alert"], "alert")
        let kind: RuleSpec.Kind
        switch (record, alert) {
        case (let r?, nil):
            if !isValidMetricName(r) { w.fail(m["record"], "invalid recording rule name \(goQuoted(r))") }
            for k in ["for", "keep_firing_for", "annotations"] where m[k] != nil {
                w.fail(m[k], "invalid field \(goQuoted(k)) in recording rule")
            }
            kind = .recording(r)
        case (nil, let a?):
            if a.isEmpty { w.fail(m["alert"], "alert name must not be empty") }
            kind = .alerting(a)
        case (nil, nil):
            w.fail(node, "rule needs record or alert")
            return nil
        default:
            w.fail(node, "rule has both record and alert; use one")
            return nil
        }
        guard let expr = w.string(m["expr"], "expr"), !expr.trimmingSpaces.isEmpty else {
            w.fail(m["expr"] ?? node, "expr is required")
            return nil
        }
        let language = language(m["kansoku_language"], &w) ?? group.language ?? QueryLanguageDetector.detect(expr)
        if let validator, let problem = validator(expr, language) {
            let exprPos = YAMLWalker.position(of: m["expr"])
            w.issues.append(SpecIssue(file: w.file, position: exprPos, message: "\(kindName(kind)) \(goQuoted(kindValue(kind))): invalid \(language.rawValue) expression: \(problem)"))
        }
        var rule = RuleSpec(kind: kind, expr: expr, language: language, position: pos)
        rule.forDuration = duration(m["for"], "for", &w, allowZero: true) ?? PromDuration(milliseconds: 0)
        rule.keepFiringFor = duration(m["keep_firing_for"], "keep_firing_for", &w, allowZero: true) ?? PromDuration(milliseconds: 0)
        for l in w.stringMap(m["labels"], "labels") {
            if !isValidLabelName(l.key) || l.key == "__name__" { w.fail(l.node, "invalid label name \(goQuoted(l.key))") }
            rule.labels[l.key] = l.value
            if rule.isAlerting { checkTemplate(l.value, at: l.node, what: "label \(l.key)", &w) }
        }
        for a in w.stringMap(m["annotations"], "annotations") {
            if !isValidLabelName(a.key) { w.fail(a.node, "invalid annotation name \(goQuoted(a.key))") }
            rule.annotations[a.key] = a.value
            checkTemplate(a.value, at: a.node, what: "annotation \(a.key)", &w)
        }
        return rule
    }

    private static func kindName(_ k: RuleSpec.Kind) -> String {
        if case .recording = k { return "record" }
        return "alert"
    }

    private static func kindValue(_ k: RuleSpec.Kind) -> String {
        switch k {
        case .recording(let n), .alerting(let n): n
        }
    }

    private static func checkTemplate(_ text: String, at node: Node, what: String, _ w: inout YAMLWalker) {
        do throws(TemplateError) { _ = try AlertTemplate(text) } catch {
            w.fail(node, "\(what): template: \(error)")
        }
    }

    private static func duration(_ node: Node?, _ what: String, _ w: inout YAMLWalker, allowZero: Bool) -> PromDuration? {
        guard let node else { return nil }
        guard let s = node.string, let d = PromDuration(s), d.milliseconds >= 0, allowZero || d.milliseconds > 0 else {
            w.fail(node, "\(what) must be a duration such as 30s, 5m or 1h\(allowZero ? "" : " (above zero)")")
            return nil
        }
        return d
    }

    private static func language(_ node: Node?, _ w: inout YAMLWalker) -> QueryLanguage? {
        guard let node else { return nil }
        guard let s = node.string, let l = QueryLanguage(rawValue: s.lowercased()) else {
            w.fail(node, "kansoku_language must be promql or logql")
            return nil
        }
        return l
    }
}
