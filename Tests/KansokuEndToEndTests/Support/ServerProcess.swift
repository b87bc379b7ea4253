import Foundation
import KansokuTestSupport

/// A `kansoku` process started by a test on a free loopback port and stopped by PID.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let dataDir: URL
    let logFile: URL
    var client: HTTPTestClient { HTTPTestClient(port: port) }
    var pid: Int32 { process.processIdentifier }
    var addr: String { "http://127.0.0.1:\(port)" }

    /// Starts `kansoku server` (or another subcommand given in `arguments`, before the common
    /// flags) with `--data-dir`, `--listen` and, when given, `--config`, and waits for `/ready`.
    init(binary: URL, dataDir: URL, config: URL? = nil, port: Int? = nil,
         subcommand: [String] = ["server"], extraArguments: [String] = [],
         environment: [String: String] = [:], waitReady: Bool = true) throws {
        self.port = port ?? freeLoopbackPort()
        self.dataDir = dataDir
        logFile = dataDir.deletingLastPathComponent().appendingPathComponent("server-\(self.port)-\(UUID().uuidString.prefix(4)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process = Process()
        process.executableURL = binary
        var args = subcommand + ["--data-dir", dataDir.path, "--listen", "127.0.0.1:\(self.port)"]
        if let config { args += ["--config", config.path] }
        process.arguments = args + extraArguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        if waitReady { try self.waitReady() }
    }

    /// Polls `/ready` until it answers 200.
    func waitReady(timeout: TimeInterval = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { throw StartError.exited(log: log) }
            if let r = try? client.get("/ready"), r.status == 200 { return }
            usleep(50_000)
        }
        throw StartError.notReady(log: log)
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGKILL: the crash case. Waits until the process is gone.
    func kill9() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits (SIGKILL after `timeout`). Returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 30) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(pid, SIGKILL) } }

    enum StartError: Error, CustomStringConvertible {
        case exited(log: String), notReady(log: String)
        var description: String {
            switch self {
            case .exited(let log): return "server exited early:\n\(log)"
            case .notReady(let log): return "server not ready in time:\n\(log)"
            }
        }
    }
}
