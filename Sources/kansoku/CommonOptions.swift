public import ArgumentParser
import Foundation
import KansokuCore
import KansokuServer

/// Where a query command gets its data: a running server or a stopped server's directory.
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: "Server address (env KANSOKU_ADDR).")
    var addr: String = ProcessInfo.processInfo.environment["KANSOKU_ADDR"] ?? "http://127.0.0.1:3100"

    @Option(name: .long, help: "Read a stopped server's data directory instead of asking a server.")
    var dataDir: String?

    @Option(name: .long, help: "Tenant (X-Scope-OrgID).")
    var orgId: String?

    @Option(name: .long, help: "File holding a bearer token for the server.")
    var bearerTokenFile: String?

    func client() throws -> KansokuClient {
        var token: String?
        if let f = bearerTokenFile {
            guard let t = try? String(contentsOfFile: f, encoding: .utf8) else {
                throw CommandFailure("cannot read bearer token file \(f)")
            }
            token = t.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return KansokuClient(address: addr, tenant: orgId, bearerToken: token)
    }
}

/// `--since`, `--from`, `--to`: the time range of a query, logcli-style.
struct TimeRangeOptions: ParsableArguments {
    @Option(name: .long, help: "Look back this far from --to (e.g. 1h, 30m). Default 1h.")
    var since: String?

    @Option(name: .long, help: "Start (inclusive): RFC3339, unix seconds, or now-1h.")
    var from: String?

    @Option(name: .long, help: "End (exclusive): RFC3339, unix seconds, or now. Default now.")
    var to: String?

    func resolve(now: Int64 = TimeParser.currentNanos()) throws -> (start: Int64, end: Int64) {
        let end = try to.map { try parseTime($0, now: now, flag: "--to") } ?? now
        var start: Int64
        if let from {
            start = try parseTime(from, now: now, flag: "--from")
        } else {
            let text = since ?? "1h"
            guard let d = PromDuration(text) else { throw ValidationError("--since: expected a duration such as 1h or 30m, got \"\(text)\"") }
            start = end - d.nanoseconds
        }
        guard start <= end else { throw ValidationError("the start of the range (\(TimeFormatter.rfc3339Nano(start))) is after its end (\(TimeFormatter.rfc3339Nano(end)))") }
        return (start, end)
    }
}

func parseTime(_ text: String, now: Int64 = TimeParser.currentNanos(), flag: String) throws -> Int64 {
    do { return try TimeParser.parse(text, now: now) } catch { throw ValidationError("\(flag): \(error)") }
}

extension OutputFormat: ExpressibleByArgument {}

/// Prints results to stdout, with colour only on a terminal.
func printResult(_ result: QueryResultModel, format: OutputFormat, forward: Bool = false, keepsOrder: Bool = false) {
    let printer = ResultPrinter(format: format, color: TerminalColor.enabled(), forward: forward, keepsOrder: keepsOrder)
    var out = ""
    printer.render(result) { out += $0; if out.utf8.count > 1 << 16 { FileHandle.standardOutput.write(Data(out.utf8)); out = "" } }
    FileHandle.standardOutput.write(Data(out.utf8))
}

/// Runs `body`, turning client errors into the documented exit status 1.
func runQuery<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let e as ClientError { throw CommandFailure(e.description) } catch let e as LogQueryPager.Failure {
        throw CommandFailure(e.description)
    }
}
