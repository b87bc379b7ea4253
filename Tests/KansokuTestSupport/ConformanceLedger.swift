import Foundation
public import Testing

/// The outcome of every case of a conformance suite, checked against the suite's
/// checked-in exclusion list (case id → reason). The suite fails when a case outside the
/// list fails, when a listed case passes (so the list stays true) and when the list names a
/// case the data no longer has.
public struct ConformanceLedger: Sendable {
    public struct Outcome: Sendable {
        public var id: String
        public var passed: Bool
        public var detail: String
    }

    public let suite: String
    public let exclusions: [String: String]
    public private(set) var outcomes: [Outcome] = []

    public init(_ suite: String, exclusions: [String: String]) {
        self.suite = suite
        self.exclusions = exclusions
    }

    /// Records one case; `detail` says why it failed.
    public mutating func record(_ id: String, passed: Bool, detail: String = "") {
        outcomes.append(Outcome(id: id, passed: passed, detail: detail))
    }

    public var passedCount: Int { outcomes.count { $0.passed } }

    /// Records the issues, prints the summary line, and returns it.
    /// `listedScope` limits the stale-entry check to ids the run could have reached (a run
    /// narrowed to one file does not see the other files' cases).
    @discardableResult
    public func finish(listedScope: (@Sendable (String) -> Bool)? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) -> String {
        var seen = Set<String>()
        var unexpected: [Outcome] = []
        var nowPassing: [Outcome] = []
        for o in outcomes {
            if !seen.insert(o.id).inserted {
                Issue.record("\(suite): case id \(o.id) is not unique", sourceLocation: sourceLocation)
            }
            let excluded = exclusions[o.id] != nil
            if !o.passed && !excluded { unexpected.append(o) }
            if o.passed && excluded { nowPassing.append(o) }
        }
        for o in unexpected {
            Issue.record("\(suite): \(o.id) fails and is not in the exclusion list: \(o.detail)", sourceLocation: sourceLocation)
        }
        for o in nowPassing {
            Issue.record("\(suite): \(o.id) passes now; remove it from the exclusion list (was: \(exclusions[o.id]!))",
                         sourceLocation: sourceLocation)
        }
        let stale = exclusions.keys.filter { !seen.contains($0) && (listedScope?($0) ?? true) }.sorted()
        for id in stale {
            Issue.record("\(suite): the exclusion list names \(id), which is not a case of the data", sourceLocation: sourceLocation)
        }
        // Lines to paste into the exclusion list when the data or the engine changed.
        if ProcessInfo.processInfo.environment["CONFORMANCE_DUMP"] != nil {
            for o in outcomes where !o.passed {
                let reason = exclusions[o.id] ?? o.detail
                print("        \(literal(o.id)): \(literal(reason)),")
            }
        }
        let excluded = outcomes.count { exclusions[$0.id] != nil }
        let line = "\(suite) CONFORMANCE: \(passedCount)/\(outcomes.count) passed, \(excluded) excluded (listed)"
            + (unexpected.isEmpty ? "" : ", \(unexpected.count) unexpected failures")
            + (nowPassing.isEmpty ? "" : ", \(nowPassing.count) listed cases passing")
        print(line)
        return line
    }

    private func literal(_ s: String) -> String {
        let short = s.count > 300 ? String(s.prefix(300)) + "…" : s
        var out = "\""
        for ch in short.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 { out += "\\u{\(String(ch.value, radix: 16))}" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }
}
