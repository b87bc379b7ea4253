import Foundation
import KansokuCore
import KansokuLogQL
import KansokuPromQL

/// Everything found in the rule paths: Prometheus rule groups, SLO documents and alert
/// windows, classified by content (`groups:`, `version:`/`kind:`).
public struct RuleSet: Sendable {
    public var groups: [RuleGroupSpec] = []
    public var sloDocuments: [SLODocument] = []
    public var windows = AlertWindowsCatalog()
    public var files: [String] = []

    public init() {}

    public var slos: [SLOSpec] { sloDocuments.flatMap(\.slos) }
}

/// Result of `kansoku slo check` / `kansoku rules check`.
public struct RuleCheckReport: Sendable {
    /// One line per finding (`file:line:col: message`), then a summary line.
    public var messages: [String]
    public var errorCount: Int
    public var ok: Bool { errorCount == 0 }
}

/// Loading and checking rule paths (files, directories, globs).
public enum RuleFiles {
    /// Parses an expression with the real PromQL or LogQL parser; nil when it is valid.
    public static let parserValidator: RuleFileParser.ExpressionValidator = { expr, language in
        switch language {
        case .promql:
            do throws(PromQLError) { _ = try PromQLParser.parse(expr) } catch { return error.description }
        case .logql:
            do throws(LogQLError) { _ = try LogQLParser.parse(expr) } catch { return error.description }
        }
        return nil
    }

    /// Expands files, directories (their `*.yaml`/`*.yml`, recursively) and glob patterns.
    public static func expand(_ patterns: [String]) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for p in patterns {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: p, isDirectory: &isDir) {
                if isDir.boolValue {
                    let e = fm.enumerator(atPath: p)
                    while let f = e?.nextObject() as? String {
                        if f.hasSuffix(".yaml") || f.hasSuffix(".yml") { out.append((p as NSString).appendingPathComponent(f)) }
                    }
                } else {
                    out.append(p)
                }
                continue
            }
            var g = glob_t()
            defer { globfree(&g) }
            if glob(p, 0, nil, &g) == 0 {
                for i in 0..<Int(g.gl_pathc) {
                    if let c = g.gl_pathv[i] { out.append(String(cString: c)) }
                }
            }
        }
        return Array(Set(out)).sorted()
    }

    /// Loads every file under `patterns`; all problems of all files are thrown together.
    public static func load(_ patterns: [String], options: SLOLoadOptions = SLOLoadOptions(),
                            validator: RuleFileParser.ExpressionValidator? = RuleFiles.parserValidator) throws(SpecError) -> RuleSet {
        var set = RuleSet()
        var issues: [SpecIssue] = []
        let files = expand(patterns)
        set.files = files
        var texts: [(String, String)] = []
        for f in files {
            guard let text = try? String(contentsOfFile: f, encoding: .utf8) else {
                issues.append(SpecIssue(file: f, position: SourcePosition(line: 1, column: 1), message: "cannot read file"))
                continue
            }
            texts.append((f, text))
            // Alert windows first: SLOs of any file may use their periods.
            if text.contains("kind: AlertWindows") || text.contains("kind: \"AlertWindows\"") {
                do throws(SpecError) {
                    for w in try AlertWindowsCatalog.parse(text, file: f) { set.windows.add(w) }
                } catch { issues += error.issues }
            }
        }
        var opts = options
        for (_, w) in set.windows.byPeriod { opts.windows.add(w) }
        if opts.queryValidator == nil, let validator { opts.queryValidator = validator }
        set.windows = opts.windows
        var sloFiles: [(path: String, text: String)] = []
        for (f, text) in texts {
            switch classify(text) {
            case .rules:
                do throws(SpecError) { set.groups += try RuleFileParser.parse(text, file: f, validator: validator) } catch { issues += error.issues }
            case .slo:
                sloFiles.append((f, text))
            case .windows:
                break
            case .unknown:
                issues.append(SpecIssue(file: f, position: SourcePosition(line: 1, column: 1),
                    message: "neither a rule file (groups:) nor an SLO spec (version: prometheus/v1, apiVersion: sloth.slok.dev/v1 or openslo/v1)"))
            }
        }
        do throws(SpecError) { set.sloDocuments = try SLOSpecLoader.loadAll(sloFiles, options: opts) } catch { issues += error.issues }
        if !issues.isEmpty { throw SpecError(issues) }
        return set
    }

    enum FileKind { case rules, slo, windows, unknown }

    static func classify(_ text: String) -> FileKind {
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.isEmpty || line == "---" { continue }
            if raw.hasPrefix("groups:") { return .rules }
            if raw.hasPrefix("version:") || raw.hasPrefix("apiVersion:") {
                if text.contains("kind: AlertWindows") || text.contains("kind: \"AlertWindows\"") { return .windows }
                return .slo
            }
            if raw.hasPrefix("kind:") {
                return raw.contains("AlertWindows") ? .windows : .slo
            }
        }
        return .unknown
    }

    /// `kansoku slo check PATH`: SLO specs only.
    public static func checkSLOs(at path: String) -> RuleCheckReport {
        check(at: path, slosOnly: true)
    }

    /// `kansoku rules check PATH`: rule files and SLO specs, expressions parsed.
    public static func checkAll(at path: String) -> RuleCheckReport {
        check(at: path, slosOnly: false)
    }

    static func check(at path: String, slosOnly: Bool) -> RuleCheckReport {
        let files = expand([path])
        if files.isEmpty { return RuleCheckReport(messages: ["\(path): no .yaml or .yml files found"], errorCount: 1) }
        do {
            let set = try load(files)
            var messages = set.sloDocuments.flatMap(\.warnings).map(\.description)
            for f in files {
                let slos = set.sloDocuments.filter { $0.file == f }.flatMap(\.slos).count
                let rules = set.groups.filter { $0.file == f }.reduce(0) { $0 + $1.rules.count }
                if slosOnly && slos == 0 && rules > 0 { continue }
                messages.append("\(f): OK (\(slos) SLOs, \(rules) rules)")
            }
            messages.append("SUCCESS: \(files.count) files, \(set.slos.count) SLOs, \(set.groups.reduce(0) { $0 + $1.rules.count }) rules")
            return RuleCheckReport(messages: messages, errorCount: 0)
        } catch {
            var msgs = error.issues.map(\.description)
            msgs.append("FAILED: \(error.issues.count) problem(s)")
            return RuleCheckReport(messages: msgs, errorCount: error.issues.count)
        }
    }
}
