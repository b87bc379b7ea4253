import ArgumentParser
import Foundation
import KansokuCore
import KansokuRules
import KansokuServer

struct SLOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slo",
        abstract: "SLOs: live status, generated Prometheus rules, spec validation.",
        subcommands: [SLOStatusCommand.self, SLOGenerateCommand.self, SLOCheckCommand.self]
    )
}

struct SLOStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print each SLO: SLI now, objective, error budget left, burn rate per window, alert state."
    )
    @OptionGroup var source: SourceOptions
    @Option(name: .shortAndLong, help: "Output: table, json.") var output: OutputFormat = .table

    func run() async throws {
        let client = try source.client()
        let rows = try await runQuery { try await SLOStatusReport.fetch(client: client) }
        let printer = ResultPrinter(format: output, color: TerminalColor.enabled(), forward: true)
        if output == .json || output == .jsonl {
            print(SLOStatusReport.json(rows))
        } else if rows.isEmpty {
            print("no SLOs found (is the server evaluating rules/*.yaml?)")
        } else {
            print(printer.table(header: SLOStatusReport.header, rows: rows.map { SLOStatusReport.cells($0, color: printer.color) }), terminator: "")
        }
    }
}

struct SLOGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Print the Prometheus recording and alerting rules for SLO specs (as Sloth generates them)."
    )
    @Option(name: .long, help: "Default SLO period (e.g. 30d, 28d).") var defaultSloPeriod: String?
    @Option(name: [.customShort("l"), .long], help: "Extra label for every rule, k=v (repeatable).") var label: [String] = []
    @Flag(name: .long, help: "Only recording rules.") var disableAlerts = false
    @Flag(name: .long, help: "Only alerting rules.") var disableRecordings = false
    @Argument(help: "An SLO spec file (Sloth prometheus/v1, PrometheusServiceLevel or OpenSLO).") var file: String

    func run() throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw CommandFailure("cannot read \(file)") }
        var load = SLOLoadOptions()
        if let p = defaultSloPeriod {
            guard let d = PromDuration(p) else { throw ValidationError("--default-slo-period: expected a duration such as 30d") }
            load.defaultPeriod = d
        }
        for l in label {
            let kv = l.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { throw ValidationError("--label: expected key=value, got \"\(l)\"") }
            load.extraLabels[String(kv[0])] = String(kv[1])
        }
        var options = SLOGenerateOptions()
        options.includeAlerts = !disableAlerts
        options.includeRecordings = !disableRecordings
        do {
            print(try SLOGenerate.generate(text, file: file, load: load, options: options), terminator: "")
        } catch {
            throw CommandFailure("\(error)")
        }
    }
}

struct SLOCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate SLO specs; errors name file:line:column and the reason."
    )
    @Argument(help: "A directory of SLO spec files (or one file).") var path: String

    func run() throws {
        try printCheckReport(RuleFiles.checkSLOs(at: path), path: path)
    }
}

/// Prints a check's findings (file:line:column and reason) and fails with status 1 if any is an error.
func printCheckReport(_ report: RuleCheckReport, path: String) throws {
    for line in report.messages { print(line) }
    if !report.ok { throw CommandFailure("\(report.errorCount) problem(s) in \(path)") }
}

struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Alerting and recording rule files.",
        subcommands: [RulesCheckCommand.self]
    )
}

struct RulesCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate rule files and SLO specs (PromQL and LogQL expressions are parsed)."
    )
    @Argument(help: "A directory of rule files (or one file).") var path: String

    func run() throws {
        try printCheckReport(RuleFiles.checkAll(at: path), path: path)
    }
}

struct TUICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Open the terminal dashboard on a server.",
        discussion: "Keys: ? help, Tab focus, Enter drill-down, Esc back, / filter, t tail, r refresh, q quit."
    )
    @Option(name: .long, help: "Server address (env KANSOKU_ADDR).")
    var addr: String = ProcessInfo.processInfo.environment["KANSOKU_ADDR"] ?? "http://127.0.0.1:3100"
    @Option(name: .long, help: "Dashboard file (default: the embedded overview).") var dashboard: String?
    @Option(name: .long, help: "Tenant (X-Scope-OrgID).") var orgId: String?

    func run() async throws {
        let code = try await TUILauncher.run(addr: addr, dashboard: dashboard, tenant: orgId)
        if code != 0 { throw ExitCode(code) }
    }
}
