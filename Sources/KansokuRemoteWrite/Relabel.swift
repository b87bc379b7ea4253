public import KansokuCore

/// One Prometheus `relabel_config` (`write_relabel_configs` entries), with Prometheus's keys,
/// defaults and semantics: the regex is fully anchored, `$1`/`${name}` expand in
/// `replacement` and `target_label`, an empty result label is removed. `hashmod` (an MD5
/// of the value) is the one action left out: it shards scrape targets, not written series.
public struct RelabelConfig: Decodable, Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case replace, keep, drop, keepequal, dropequal, labelmap, labeldrop, labelkeep, lowercase, uppercase
    }

    public var sourceLabels: [String] = []
    public var separator = ";"
    public var regex: RE2Regex
    public var targetLabel = ""
    public var replacement = "$1"
    public var action = Action.replace

    enum CodingKeys: String, CodingKey {
        case sourceLabels = "source_labels", separator, regex, targetLabel = "target_label", replacement, action
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sourceLabels = try c.decodeIfPresent([String].self, forKey: .sourceLabels) ?? []
        separator = try c.decodeIfPresent(String.self, forKey: .separator) ?? separator
        let pattern = try c.decodeIfPresent(String.self, forKey: .regex) ?? "(.*)"
        do { regex = try RE2Regex("^(?:" + pattern + ")$", anchor: .both) } catch {
            throw DecodingError.dataCorruptedError(forKey: .regex, in: c, debugDescription: "\(error)")
        }
        targetLabel = try c.decodeIfPresent(String.self, forKey: .targetLabel) ?? ""
        replacement = try c.decodeIfPresent(String.self, forKey: .replacement) ?? replacement
        let text = try c.decodeIfPresent(String.self, forKey: .action) ?? "replace"
        guard let a = Action(rawValue: text.lowercased()) else {
            throw DecodingError.dataCorruptedError(forKey: .action, in: c, debugDescription: "unknown relabel action \"\(text)\"")
        }
        action = a
        switch action {
        case .replace, .lowercase, .uppercase, .keepequal, .dropequal:
            guard !targetLabel.isEmpty else {
                throw DecodingError.dataCorruptedError(forKey: .targetLabel, in: c, debugDescription: "relabel action \(text) needs target_label")
            }
        default: break
        }
    }

    /// Applies a list of configs in order; nil when a keep/drop step dropped the series.
    public static func process(_ labels: Labels, _ configs: [RelabelConfig]) -> Labels? {
        var ls = labels
        for c in configs {
            guard let next = c.apply(ls) else { return nil }
            ls = next
        }
        return ls
    }

    func apply(_ ls: Labels) -> Labels? {
        let value = sourceLabels.map { ls[$0] ?? "" }.joined(separator: separator)
        switch action {
        case .keep: return regex.matches(value) ? ls : nil
        case .drop: return regex.matches(value) ? nil : ls
        case .keepequal: return value == (ls[targetLabel] ?? "") ? ls : nil
        case .dropequal: return value == (ls[targetLabel] ?? "") ? nil : ls
        case .replace:
            guard let groups = regex.captures(in: value) else { return ls }
            let target = expand(targetLabel, groups)
            guard isLabelName(target) else { return ls }
            return ls.setting(target, to: expand(replacement, groups))
        case .lowercase: return ls.setting(targetLabel, to: value.lowercased())
        case .uppercase: return ls.setting(targetLabel, to: value.uppercased())
        case .labelmap:
            var out = ls
            for l in ls {
                if let groups = regex.captures(in: l.name) { out = out.setting(expand(replacement, groups), to: l.value) }
            }
            return out
        case .labeldrop: return Labels(sorted: ls.filter { !regex.matches($0.name) })
        case .labelkeep: return Labels(sorted: ls.filter { regex.matches($0.name) })
        }
    }

    /// Expands `$1`, `${1}` and `${name}` (capture indexes only; names match nothing, as a
    /// missing Go group expands to "").
    private func expand(_ template: String, _ groups: [Substring?]) -> String {
        guard template.contains("$") else { return template }
        var out = ""
        var chars = Array(template)
        chars.append("\0")
        var i = 0
        while i < chars.count - 1 {
            let ch = chars[i]
            guard ch == "$" else { out.append(ch); i += 1; continue }
            if chars[i + 1] == "$" { out.append("$"); i += 2; continue }
            var j = i + 1
            var name = ""
            if chars[j] == "{" {
                j += 1
                while chars[j] != "}" && chars[j] != "\0" { name.append(chars[j]); j += 1 }
                guard chars[j] == "}" else { out.append(ch); i += 1; continue }
                j += 1
            } else {
                while chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { name.append(chars[j]); j += 1 }
            }
            if name.isEmpty { out.append(ch); i += 1; continue }
            if let n = Int(name), n < groups.count, let g = groups[n] { out += g }
            i = j
        }
        return out
    }

    private func isLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, !(first >= 0x30 && first <= 0x39) else { return false }
        return s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
