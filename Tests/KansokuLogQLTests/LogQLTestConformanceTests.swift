import Foundation
import KansokuTestSupport
import Testing

/// Loki's `.logqltest` scripts, every eval, in memory and over a real LogStore. The evals the
/// engine does not pass are named in `LogQLConformanceExclusions.logqltest` (none today).
@Suite struct LogQLTestConformanceTests {
    @Test(.requires(.shared("conformance/logql/logqltest")))
    func scripts() async throws {
        try await run(backend: .memory, suite: "LOGQLTEST")
    }

    /// The same scripts with the streams in a real LogStore (temporary directory).
    @Test(.requires(.shared("conformance/logql/logqltest")))
    func scriptsOverLogStore() async throws {
        try await run(backend: .store, suite: "LOGQLTEST-LOGSTORE")
    }

    private func run(backend: LogQLTestRunner.Backend, suite: String) async throws {
        let dir = try #require(Conformance.directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/logqltest").filter { $0.hasSuffix(".logqltest") }.sorted()
        #expect(!files.isEmpty, "no .logqltest scripts in \(dir)/logqltest")
        var ledger = ConformanceLedger(suite, exclusions: LogQLConformanceExclusions.logqltest)
        for f in files {
            let o = await LogQLTestRunner.run(file: dir + "/logqltest/" + f, backend: backend)
            for fail in o.failures.prefix(ProcessInfo.processInfo.environment["LOGQLTEST_VERBOSE"] != nil ? 1000 : 8) { print(fail) }
            Conformance.report("\(suite.lowercased())/\(f)", o.passed, o.total)
            for c in o.cases { ledger.record("\(f):\(c.line)", passed: c.failure == nil, detail: c.failure ?? "") }
        }
        ledger.finish()
    }
}
