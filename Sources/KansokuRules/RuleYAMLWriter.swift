import KansokuCore
import Yams

/// Writes rule groups as YAML laid out the way Go's yaml.v2 lays them out (libyaml's
/// emitter, 2-space indent, 80-column folding, keys in yaml.v2's order, `|` for multi-line
/// strings, quotes only where a plain scalar would read back as another type), so generated
/// files match Sloth's byte for byte apart from the header.
public enum RuleYAMLWriter {
    /// A `groups:` document.
    public static func rulesDocument(_ groups: [RuleGroupSpec]) throws -> String {
        let root = mapping([("groups", .sequence(Node.Sequence(groups.map { groupNode($0, sortedKeys: false) })))])
        return try emit(root)
    }

    /// A prometheus-operator `PrometheusRule` object holding `groups`; keys sorted as the
    /// Kubernetes YAML marshaller sorts them.
    public static func prometheusRuleDocument(_ groups: [RuleGroupSpec], metadata: KubernetesMetadata) throws -> String {
        var labels = metadata.labels
        labels["app.kubernetes.io/component"] = "SLO"
        labels["app.kubernetes.io/managed-by"] = "sloth"
        var meta: [(String, Node)] = [("labels", stringMap(labels)), ("name", scalar(metadata.name))]
        if !metadata.annotations.isEmpty { meta.append(("annotations", stringMap(metadata.annotations))) }
        if let ns = metadata.namespace { meta.append(("namespace", scalar(ns))) }
        let root = mapping([
            ("apiVersion", scalar("monitoring.coreos.com/v1")),
            ("kind", scalar("PrometheusRule")),
            ("metadata", mapping(meta, sorted: true)),
            ("spec", mapping([("groups", .sequence(Node.Sequence(groups.map { groupNode($0, sortedKeys: true) })))])),
        ], sorted: true)
        return try emit(root)
    }

    static func emit(_ node: Node) throws -> String {
        try Yams.serialize(node: node, indent: 2, width: 80, allowUnicode: true)
    }

    static func groupNode(_ g: RuleGroupSpec, sortedKeys: Bool) -> Node {
        var pairs: [(String, Node)] = [("name", scalar(g.name))]
        if let i = g.interval { pairs.append(("interval", scalar(i.prometheusString))) }
        if let o = g.queryOffset { pairs.append(("query_offset", scalar(o.prometheusString))) }
        if g.limit > 0 { pairs.append(("limit", Node.scalar(Node.Scalar(String(g.limit), .implicit, .plain)))) }
        if !g.labels.isEmpty { pairs.append(("labels", stringMap(g.labels))) }
        if let l = g.language, l == .logql { pairs.append(("kansoku_language", scalar(l.rawValue))) }
        pairs.append(("rules", .sequence(Node.Sequence(g.rules.map { ruleNode($0, sortedKeys: sortedKeys) }))))
        return mapping(pairs, sorted: sortedKeys)
    }

    static func ruleNode(_ r: RuleSpec, sortedKeys: Bool) -> Node {
        var pairs: [(String, Node)] = []
        switch r.kind {
        case .recording(let n): pairs.append(("record", scalar(n)))
        case .alerting(let n): pairs.append(("alert", scalar(n)))
        }
        pairs.append(("expr", scalar(r.expr)))
        if r.forDuration.milliseconds > 0 { pairs.append(("for", scalar(r.forDuration.prometheusString))) }
        if r.keepFiringFor.milliseconds > 0 { pairs.append(("keep_firing_for", scalar(r.keepFiringFor.prometheusString))) }
        if !r.labels.isEmpty { pairs.append(("labels", stringMap(r.labels))) }
        if !r.annotations.isEmpty { pairs.append(("annotations", stringMap(r.annotations))) }
        return mapping(pairs, sorted: sortedKeys)
    }

    static func mapping(_ pairs: [(String, Node)], sorted: Bool = false) -> Node {
        let ordered = sorted ? pairs.sorted { goYAMLKeyLess($0.0, $1.0) } : pairs
        return .mapping(Node.Mapping(ordered.map { (scalar($0.0), $0.1) }))
    }

    static func stringMap(_ m: [String: String]) -> Node {
        mapping(m.map { ($0.key, scalar($0.value)) }, sorted: true)
    }

    /// A string scalar styled as yaml.v2 styles it; libyaml still falls back to quoting when
    /// the plain form is not allowed (leading `{`, `: ` inside, ...).
    static func scalar(_ s: String) -> Node {
        let style: Node.Scalar.Style
        if s.contains("\n") {
            style = .literal
        } else if readsAsNonString(s) {
            style = .doubleQuoted
        } else {
            style = .plain
        }
        return .scalar(Node.Scalar(s, Tag(.str), style))
    }

    /// True when a plain scalar `s` would resolve to something other than a string under
    /// YAML 1.1 as yaml.v2 resolves it (null, bool, int, float, base-60 float, timestamp).
    static func readsAsNonString(_ s: String) -> Bool {
        if s.isEmpty { return true }
        let words: Set<String> = [
            "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
            "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
            ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", "<<",
        ]
        if words.contains(s) { return true }
        let b = Array(s.utf8)
        guard let first = b.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: ".") || isDigit(first) else {
            return false
        }
        let plain = b.filter { $0 != UInt8(ascii: "_") }
        return isYAMLInt(plain) || isYAMLFloat(plain) || isBase60(b) || isTimestamp(b)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    private static func isYAMLInt(_ b: [UInt8]) -> Bool {
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        let rest = Array(b[i...])
        guard !rest.isEmpty else { return false }
        if rest.count > 2, rest[0] == UInt8(ascii: "0") {
            switch rest[1] {
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                return rest[2...].allSatisfy { isDigit($0) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }
            case UInt8(ascii: "o"), UInt8(ascii: "O"): return rest[2...].allSatisfy { $0 >= 48 && $0 <= 55 }
            case UInt8(ascii: "b"), UInt8(ascii: "B"): return rest[2...].allSatisfy { $0 == 48 || $0 == 49 }
            default: break
            }
        }
        return rest.allSatisfy(isDigit)
    }

    private static func isYAMLFloat(_ b: [UInt8]) -> Bool {
        // ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        var intDigits = 0, fracDigits = 0
        while i < b.count, isDigit(b[i]) { i += 1; intDigits += 1 }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, isDigit(b[i]) { i += 1; fracDigits += 1 }
            if intDigits == 0 && fracDigits == 0 { return false }
        } else if intDigits == 0 {
            return false
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            var expDigits = 0
            while i < b.count, isDigit(b[i]) { i += 1; expDigits += 1 }
            if expDigits == 0 { return false }
        }
        return i == b.count
    }

    private static func isBase60(_ b: [UInt8]) -> Bool {
        // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
        guard b.contains(UInt8(ascii: ":")) else { return false }
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, isDigit(b[i]) else { return false }
        while i < b.count, isDigit(b[i]) || b[i] == UInt8(ascii: "_") { i += 1 }
        var groups = 0
        while i < b.count, b[i] == UInt8(ascii: ":") {
            i += 1
            var n = 0
            while i < b.count, isDigit(b[i]), n < 2 { i += 1; n += 1 }
            if n == 0 || (n == 2 && b[i - 2] > UInt8(ascii: "5")) { return false }
            groups += 1
        }
        if groups == 0 { return false }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, isDigit(b[i]) || b[i] == UInt8(ascii: "_") { i += 1 }
        }
        return i == b.count
    }

    private static func isTimestamp(_ b: [UInt8]) -> Bool {
        // yyyy-m-d, optionally followed by a time: yaml.v2 reads these as timestamps.
        var i = 0, n = 0
        while i < b.count, isDigit(b[i]) { i += 1; n += 1 }
        guard n == 4, i < b.count, b[i] == UInt8(ascii: "-") else { return false }
        i += 1; n = 0
        while i < b.count, isDigit(b[i]) { i += 1; n += 1 }
        guard n >= 1, n <= 2, i < b.count, b[i] == UInt8(ascii: "-") else { return false }
        i += 1; n = 0
        while i < b.count, isDigit(b[i]) { i += 1; n += 1 }
        guard n >= 1, n <= 2 else { return false }
        return i == b.count || b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == UInt8(ascii: " ")
    }
}

/// yaml.v2's map key order: runs of digits compare as numbers, and a non-letter sorts
/// before a letter.
func goYAMLKeyLess(_ a: String, _ b: String) -> Bool {
    let ar = Array(a.unicodeScalars), br = Array(b.unicodeScalars)
    var i = 0
    while i < ar.count && i < br.count {
        if ar[i] == br[i] { i += 1; continue }
        let al = ar[i].properties.isAlphabetic, bl = br[i].properties.isAlphabetic
        if al && bl { return ar[i].value < br[i].value }
        if al || bl { return bl }
        func isD(_ u: Unicode.Scalar) -> Bool { u.value >= 48 && u.value <= 57 }
        var an: Int64 = 0, bn: Int64 = 0
        if ar[i] == "0" || br[i] == "0" {
            var j = i - 1
            while j >= 0 && isD(ar[j]) {
                if ar[j] != "0" { an = 1; bn = 1; break }
                j -= 1
            }
        }
        var ai = i, bi = i
        while ai < ar.count && isD(ar[ai]) { an = an &* 10 &+ Int64(ar[ai].value - 48); ai += 1 }
        while bi < br.count && isD(br[bi]) { bn = bn &* 10 &+ Int64(br[bi].value - 48); bi += 1 }
        if an != bn { return an < bn }
        if ai != bi { return ai < bi }
        return ar[i].value < br[i].value
    }
    return ar.count < br.count
}
