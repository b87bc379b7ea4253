import Foundation
import Testing
@testable import KansokuPromQL

/// Prometheus's own data-driven PromQL tests, read in place from ../shared.
@Suite struct ConformanceTests {
    /// The passed-eval count each file has reached; a lower count is a regression.
    static let floors: [String: Int] = [
        "aggregators.test": 125,
        "at_modifier.test": 78,
        "collision.test": 2,
        "duration_expression.test": 59,
        "extended_vectors.test": 120,
        "fill-modifier.test": 46,
        "functions.test": 323,
        "histograms.test": 93,
        "info.test": 52,
        "limit.test": 1,
        "literals.test": 25,
        "name_label_dropping.test": 30,
        "native_histograms.test": 3,
        "operators.test": 142,
        "range_queries.test": 16,
        "selectors.test": 31,
        "staleness.test": 17,
        "start_timestamps.test": 2,
        "subquery.test": 32,
        "trig_functions.test": 19,
        "type_and_unit.test": 58,
    ]

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
