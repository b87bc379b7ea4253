import Foundation
import Testing
@testable import KansokuPromQL

/// Prometheus's own data-driven PromQL tests, read in place from ../shared.
@Suite struct ConformanceTests {
    /// The passed-eval count each file has reached; a lower count is a regression.
    static let floors: [String: Int] = [:]

    static var conformanceDirectory: URL? {
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.deletingLastPathComponent().appendingPathComponent("shared/conformance/promql")
        return FileManager.default.fileExists(atPath: dir.path) ? dir : nil
    }

    @Test func promqlConformance() async throws {
        guard let dir = Self.conformanceDirectory else {
            print("SKIPPED: ../shared not found")
            return
        }
        let only = ProcessInfo.processInfo.environment["PROMQL_TEST_FILE"]
        let verbose = ProcessInfo.processInfo.environment["PROMQL_TEST_VERBOSE"] != nil
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".test") }.sorted()
        var passed = 0, total = 0, outOfScope = 0
        for f in files where only == nil || f == only {
            let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
            let script: PromQLTestScript
            do {
                script = try PromQLTestScript(text)
            } catch {
                Issue.record("\(f): \(error)")
                continue
            }
            let r = await PromQLTestRunner.run(script)
            passed += r.passed
            total += r.total
            outOfScope += r.outOfScope
            print("CONFORMANCE \(f): \(r.passed)/\(r.total) evals (\(r.outOfScope) out of scope: native histograms)")
            if verbose { for failure in r.failures { print("  FAIL \(failure)") } }
            if let floor = Self.floors[f] {
                #expect(r.passed >= floor, "\(f): \(r.passed) passed, floor is \(floor)")
            }
        }
        print("CONFORMANCE total: \(passed)/\(total) evals (\(outOfScope) out of scope: native histograms)")
    }
}
