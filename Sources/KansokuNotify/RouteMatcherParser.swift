import KansokuCore

/// Parses Alertmanager matcher strings as used in `matchers:` lists: `name="value"`,
/// `name=~"re"`, `name!=value`, `name!~"re"`, with the value quoted (Go escapes) or bare,
/// and blanks around the parts ignored. A quoted label name is accepted too.
enum RouteMatcherParser {
    static func parse(_ text: String) throws(NotifyConfigError) -> LabelMatcher {
        let s = Array(text.utf8)
        var i = 0
        func skipBlanks() { while i < s.count, s[i] == 0x20 || s[i] == 0x09 { i += 1 } }
        skipBlanks()
        var name: String
        if i < s.count, s[i] == UInt8(ascii: "\"") {
            guard let (unquoted, end) = unquote(s, from: i) else {
                throw .invalidMatcher(text, reason: "unterminated quoted label name")
            }
            name = unquoted
            i = end
        } else {
            let start = i
            while i < s.count, isNameByte(s[i], first: i == start) { i += 1 }
            name = String(decoding: s[start..<i], as: UTF8.self)
        }
        guard !name.isEmpty else { throw .invalidMatcher(text, reason: "expected a label name") }
        skipBlanks()
        let type: MatchType
        func at(_ op: String) -> Bool {
            let o = Array(op.utf8)
            return i + o.count <= s.count && Array(s[i..<(i + o.count)]) == o
        }
        if at("=~") { type = .regexMatch; i += 2 }
        else if at("!~") { type = .regexNoMatch; i += 2 }
        else if at("!=") { type = .notEqual; i += 2 }
        else if at("=") { type = .equal; i += 1 }
        else { throw .invalidMatcher(text, reason: "expected one of =, !=, =~, !~ after \"\(name)\"") }
        skipBlanks()
        var value: String
        if i < s.count, s[i] == UInt8(ascii: "\"") {
            guard let (unquoted, end) = unquote(s, from: i) else {
                throw .invalidMatcher(text, reason: "unterminated quoted value")
            }
            value = unquoted
            i = end
            skipBlanks()
            guard i == s.count else { throw .invalidMatcher(text, reason: "unexpected text after the quoted value") }
        } else {
            var end = s.count
            while end > i, s[end - 1] == 0x20 || s[end - 1] == 0x09 { end -= 1 }
            value = String(decoding: s[i..<end], as: UTF8.self)
        }
        do {
            return try LabelMatcher(name: name, type: type, value: value)
        } catch {
            throw .invalidMatcher(text, reason: "invalid regular expression: \(error)")
        }
    }

    private static func isNameByte(_ b: UInt8, first: Bool) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || (!first && b >= 0x30 && b <= 0x39)
            || (!first && (b == 0x2E || b == 0x3A))
    }

    /// Decodes a Go double-quoted string starting at `start`; returns the text and the index
    /// after the closing quote.
    private static func unquote(_ s: [UInt8], from start: Int) -> (String, Int)? {
        var out: [UInt8] = []
        var i = start + 1
        while i < s.count {
            let b = s[i]
            if b == UInt8(ascii: "\"") { return (String(decoding: out, as: UTF8.self), i + 1) }
            if b == UInt8(ascii: "\\"), i + 1 < s.count {
                i += 1
                switch s[i] {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                default: out.append(s[i])
                }
            } else {
                out.append(b)
            }
            i += 1
        }
        return nil
    }
}

/// A configuration that cannot work, with the reason in the user's terms.
public enum NotifyConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidMatcher(String, reason: String)
    case unknownReceiver(String)
    case duplicateReceiver(String)
    case receiverWithoutTarget(String)
    case receiverWithTwoTargets(String)
    case noReceivers
    case rootRouteWithoutReceiver
    case rootRouteWithMatchers
    case groupByAllMixed([String])
    case zeroInterval(String)

    public var description: String {
        switch self {
        case let .invalidMatcher(text, reason): return "notify: invalid matcher \(goQuoted(text)): \(reason)"
        case let .unknownReceiver(name): return "notify: route refers to undefined receiver \"\(name)\""
        case let .duplicateReceiver(name): return "notify: receiver \"\(name)\" is defined twice"
        case let .receiverWithoutTarget(name): return "notify: receiver \"\(name)\" needs webhook or alertmanager"
        case let .receiverWithTwoTargets(name):
            return "notify: receiver \"\(name)\" has both webhook and alertmanager; define two receivers"
        case .noReceivers: return "notify: at least one receiver is required"
        case .rootRouteWithoutReceiver: return "notify: the root route needs a receiver"
        case .rootRouteWithMatchers: return "notify: the root route must match every alert (no matchers)"
        case let .groupByAllMixed(names):
            return "notify: group_by \"...\" cannot be combined with other labels (\(names.joined(separator: ", ")))"
        case let .zeroInterval(which): return "notify: \(which) must be greater than zero"
        }
    }
}
