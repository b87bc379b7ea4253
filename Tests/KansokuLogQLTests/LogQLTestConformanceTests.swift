import Testing
import Foundation

@Suite struct LogQLTestConformanceTests {
    /// Floors per script: the suite fails when a script passes fewer evals than this.
    static let floors: [String: Int] = [
        "binary_operations.logqltest": 268, "conversions.logqltest": 14, "formatters.logqltest": 31,
        "functions.logqltest": 31, "label_filters.logqltest": 286, "line_filters.logqltest": 56,
        "parsers.logqltest": 53, "range_aggregations.logqltest": 241, "vector_aggregations.logqltest": 115,
    ]

    @Test func scripts() async throws {
        guard let dir = Conformance.directory else {
            print("SKIPPED: ../shared not found")
            return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/logqltest").filter { $0.hasSuffix(".logqltest") }.sorted()
        var passed = 0, total = 0
        for f in files {
            let o = await LogQLTestRunner.run(file: dir + "/logqltest/" + f)
            for fail in o.failures.prefix(ProcessInfo.processInfo.environment["LOGQLTEST_VERBOSE"] != nil ? 1000 : 8) { print(fail) }
            Conformance.report("logqltest/\(f)", o.passed, o.total)
            passed += o.passed
            total += o.total
            #expect(o.passed >= Self.floors[f] ?? 0, "\(f) regressed")
        }
        Conformance.report("logqltest (all)", passed, total)
    }

    /// The same scripts with the streams in a real LogStore (temporary directory).
    @Test func scriptsOverLogStore() async throws {
        guard let dir = Conformance.directory else {
            print("SKIPPED: ../shared not found")
            return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/logqltest").filter { $0.hasSuffix(".logqltest") }.sorted()
        var passed = 0, total = 0
        for f in files {
            let o = await LogQLTestRunner.run(file: dir + "/logqltest/" + f, backend: .store)
            for fail in o.failures.prefix(ProcessInfo.processInfo.environment["LOGQLTEST_VERBOSE"] != nil ? 1000 : 8) { print(fail) }
            Conformance.report("logqltest-logstore/\(f)", o.passed, o.total)
            passed += o.passed
            total += o.total
            #expect(o.passed >= Self.floors[f] ?? 0, "\(f) regressed over LogStore")
        }
        Conformance.report("logqltest-logstore (all)", passed, total)
    }
}
