import Foundation
import KansokuTestSupport
import Testing
@testable import KansokuPromQL

/// Prometheus's own data-driven PromQL tests, read in place from ../shared. Every eval runs;
/// the ones the engine does not pass are named, with the reason, in
/// `PromQLConformanceExclusions.swift`, and the suite fails when any other eval fails or when
/// a listed one passes. `PROMQL_TEST_FILE=<file>` narrows the run to one file,
/// `PROMQL_TEST_VERBOSE=1` prints every failure, `CONFORMANCE_DUMP=1` prints the failures in
/// the exclusion list's form.
@Suite struct ConformanceTests {
    static var conformanceDirectory: URL? { Requirement.sharedPath("conformance/promql") }

    @Test(.requires(.shared("conformance/promql")))
    func promqlConformance() async throws {
        let dir = try #require(Self.conformanceDirectory)
        let only = ProcessInfo.processInfo.environment["PROMQL_TEST_FILE"]
        let verbose = ProcessInfo.processInfo.environment["PROMQL_TEST_VERBOSE"] != nil
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".test") }.sorted()
        #expect(!files.isEmpty, "no .test files in \(dir.path)")
        var ledger = ConformanceLedger("PROMQL", exclusions: PromQLConformanceExclusions.cases)
        for f in files where only == nil || f == only {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            let script: PromQLTestScript
            do {
                script = try PromQLTestScript(text)
            } catch {
                ledger.record("\(f):script", passed: false, detail: "the script does not parse: \(error)")
                continue
            }
            let r = await PromQLTestRunner.run(script)
            for c in r.cases {
                let detail = c.failure.map { (c.nativeHistograms ? "[native histograms] " : "") + "\(c.expr): \($0)" } ?? ""
                ledger.record("\(f):\(c.line)", passed: c.failure == nil, detail: detail)
                if verbose, c.failure != nil { print("  FAIL \(f):\(c.line) \(detail)") }
            }
            print("CONFORMANCE \(f): \(r.passed)/\(r.total) evals")
        }
        ledger.finish(listedScope: { id in only.map { id.hasPrefix($0 + ":") } ?? true })
    }
}
