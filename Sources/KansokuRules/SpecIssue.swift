public import KansokuCore
import Yams

/// One problem found in an SLO spec or rule file, with where it is.
public struct SpecIssue: Sendable, Hashable, CustomStringConvertible {
    public var file: String?
    public var position: SourcePosition
    public var message: String

    public init(file: String?, position: SourcePosition, message: String) {
        self.file = file
        self.position = position
        self.message = message
    }

    /// `file:line:column: message`, the form compilers and editors understand.
    public var description: String {
        "\(file ?? "<input>"):\(position.line):\(position.column): \(message)"
    }
}

/// All problems of one or more files: loading never stops at the first one.
public struct SpecError: Error, Sendable, CustomStringConvertible {
    public var issues: [SpecIssue]

    public init(_ issues: [SpecIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Walks a composed YAML tree, collecting issues with positions instead of throwing, so one
/// pass reports every mistake of a file.
struct YAMLWalker {
    var file: String?
    var issues: [SpecIssue] = []
    /// Problems that do not stop loading (unknown fields, which Sloth ignores too).
    var warnings: [SpecIssue] = []

    init(file: String?) { self.file = file }

    static func position(of node: Node?) -> SourcePosition {
        guard let mark = node?.mark else { return SourcePosition(line: 1, column: 1) }
        return SourcePosition(line: mark.line, column: mark.column)
    }

    mutating func fail(_ node: Node?, _ message: String) {
        issues.append(SpecIssue(file: file, position: Self.position(of: node), message: message))
    }

    /// The mapping at `node`, or an issue naming `what` when it is something else.
    mutating func mapping(_ node: Node?, _ what: String) -> Node.Mapping? {
        guard let node else { return nil }
        if case .scalar(let s) = node, s.tag == Tag(.null) || (s.string.isEmpty && s.style == .plain) { return nil }
        guard let m = node.mapping else {
            fail(node, "\(what) must be a mapping")
            return nil
        }
        return m
    }

    mutating func sequence(_ node: Node?, _ what: String) -> [Node] {
        guard let node else { return [] }
        if case .scalar(let s) = node, s.string.isEmpty || s.tag == Tag(.null) { return [] }
        guard let seq = node.sequence else {
            fail(node, "\(what) must be a list")
            return []
        }
        return Array(seq)
    }

    mutating func string(_ node: Node?, _ what: String) -> String? {
        guard let node else { return nil }
        guard let s = node.scalar else {
            fail(node, "\(what) must be a string")
            return nil
        }
        return s.string
    }

    mutating func number(_ node: Node?, _ what: String) -> Double? {
        guard let node else { return nil }
        guard let s = node.scalar, let v = Double(s.string.trimmingSpaces), s.style == .plain || s.style == .any else {
            fail(node, "\(what) must be a number, got \(node.scalar.map { goQuoted($0.string) } ?? "a collection")")
            return nil
        }
        return v
    }

    mutating func bool(_ node: Node?, _ what: String) -> Bool? {
        guard let node else { return nil }
        guard let s = node.scalar else {
            fail(node, "\(what) must be true or false")
            return nil
        }
        switch s.string {
        case "true", "True", "TRUE", "yes", "on": return true
        case "false", "False", "FALSE", "no", "off": return false
        default:
            fail(node, "\(what) must be true or false, got \(goQuoted(s.string))")
            return nil
        }
    }

    /// A map of strings (labels, annotations); numbers and booleans are taken as written.
    mutating func stringMap(_ node: Node?, _ what: String) -> [(key: String, value: String, node: Node)] {
        guard let m = mapping(node, what) else { return [] }
        var out: [(key: String, value: String, node: Node)] = []
        for (k, v) in m {
            guard let key = k.scalar?.string else {
                fail(k, "\(what) keys must be strings")
                continue
            }
            guard let value = v.scalar?.string else {
                fail(v, "\(what).\(key) must be a string")
                continue
            }
            out.append((key, value, k))
        }
        return out
    }

    /// Warns about keys of `m` not in `known`: a misspelt key would otherwise be ignored
    /// silently. Sloth ignores unknown keys, so they warn rather than fail.
    mutating func rejectUnknownKeys(_ m: Node.Mapping, known: Set<String>, in what: String) {
        for (k, _) in m {
            guard let key = k.scalar?.string else { continue }
            if !known.contains(key) {
                warnings.append(SpecIssue(file: file, position: Self.position(of: k), message: "warning: ignored unknown field \(goQuoted(key)) in \(what) (expected one of: \(known.sorted().joined(separator: ", ")))"))
            }
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}

/// Composes every document of `text`, turning a YAML syntax error into an issue with its place.
func composeDocuments(_ text: String, file: String?) -> Result<[Node], SpecError> {
    do {
        var docs: [Node] = []
        let seq = try Yams.compose_all(yaml: text)
        for doc in seq { docs.append(doc) }
        return .success(docs)
    } catch let e as YamlError {
        let (mark, problem): (Mark?, String) = {
            switch e {
            case .scanner(_, let p, let m, _), .parser(_, let p, let m, _), .composer(_, let p, let m, _): return (m, p)
            default: return (nil, "\(e)")
            }
        }()
        let pos = mark.map { SourcePosition(line: $0.line, column: $0.column) } ?? SourcePosition(line: 1, column: 1)
        return .failure(SpecError([SpecIssue(file: file, position: pos, message: "invalid YAML: \(problem)")]))
    } catch {
        return .failure(SpecError([SpecIssue(file: file, position: SourcePosition(line: 1, column: 1), message: "invalid YAML: \(error)")]))
    }
}

/// Label names as Prometheus accepts them.
func isValidLabelName(_ s: String) -> Bool {
    guard let first = s.utf8.first, first == UInt8(ascii: "_") || isASCIILetter(first) else { return false }
    return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isASCIILetter($0) || ($0 >= 48 && $0 <= 57) }
}

/// Metric names as Prometheus accepts them (colons allowed, for recording rules).
func isValidMetricName(_ s: String) -> Bool {
    guard let first = s.utf8.first, first == UInt8(ascii: "_") || first == UInt8(ascii: ":") || isASCIILetter(first) else { return false }
    return s.utf8.allSatisfy { $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":") || isASCIILetter($0) || ($0 >= 48 && $0 <= 57) }
}

private func isASCIILetter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
