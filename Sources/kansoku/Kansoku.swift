import ArgumentParser
import Foundation
import KansokuCore

/// `kansoku`: logs, metrics, SLOs and alerts in one binary.
@main
struct Kansoku: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kansoku",
        abstract: "Logs, metrics, SLO burn-rate alerts and a terminal dashboard in one binary.",
        discussion: """
        Exit status: 0 ok, 1 query or runtime error, 2 usage error.
        Times: RFC3339 (2024-01-02T15:04:05Z), unix seconds, or relative (now-1h, 1h).
        """,
        version: KansokuVersion.string,
        subcommands: [ServerCommand.self, DemoCommand.self, QueryCommand.self, ExplainCommand.self, LabelsCommand.self, SeriesCommand.self,
                      MetricsCommand.self, SLOCommand.self, RulesCommand.self, TUICommand.self]
    )

    /// Runs the command and maps failures to the documented exit codes (argument-parser's own
    /// usage code is 64; scripts are promised 2).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch let error as CommandFailure {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            Foundation.exit(error.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let usage = code == .validationFailure || error is ValidationError
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(usage ? 2 : (code.rawValue == 0 ? 0 : 1))
        }
    }
}

/// A runtime failure the user should read: printed as `error: …`, exit status 1.
struct CommandFailure: Error {
    var message: String
    var code: Int32 = 1
    init(_ message: String, code: Int32 = 1) {
        self.message = message
        self.code = code
    }
}
