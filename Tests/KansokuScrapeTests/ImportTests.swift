import Foundation
import KansokuCore
import KansokuMetricStore
import Synchronization
import KansokuTestSupport
import Testing
@testable import KansokuScrape

@Suite struct ImportTests {
    @Test(.requires(SharedData.requirement("promtool")))
    func backfillsTheRoundTripVector() async throws {
        let dir = try #require(SharedData.exposition("promtool"))
        let path = dir.appendingPathComponent("dump-openmetrics-roundtrip-test.prom").path
        let tmp = try TemporaryStore.open()
        let phases = Mutex<[OpenMetricsImporter.Progress.Phase]>([])
        let result = try await OpenMetricsImporter.importFile(path, into: tmp.store, progressEvery: 10) { p in
            phases.withLock { $0.append(p.phase) }
        }
        let body = try parseExposition(try SharedData.bytes(URL(fileURLWithPath: path)), format: .openMetrics)
        #expect(result.samples == body.samples.count)
        #expect(result.blocks >= 1)
        #expect(phases.withLock { $0.last } == .done)
        // Every sample reads back with its time and value.
        let series = tmp.store.select(matchers: [try LabelMatcher(name: "__name__", type: .regexMatch, value: ".+")],
                                      from: .min, through: .max)
        var got: [String: [Sample]] = [:]
        for s in series { got[s.labels.description] = s.samples }
        for s in body.samples {
            let labels = normalizingBucketLabels(s.labels, type: s.type)
            #expect(got[labels.description]?.contains(Sample(t: s.timestamp!, v: s.value)) == true, "\(labels)")
        }
        try await tmp.store.close()
    }

    @Test func badInputIsReportedBeforeWriting() async throws {
        let tmp = try TemporaryStore.open()
        do {
            _ = try await OpenMetricsImporter.importOpenMetrics(Array("a 1 100\nb{x=\"1\" 2 100\n# EOF\n".utf8),
                                                                file: "in.om", into: tmp.store)
            Issue.record("must fail")
        } catch {
            #expect("\(error)".hasPrefix("in.om:2:8: expected"), "\(error)")
        }
        do {
            _ = try await OpenMetricsImporter.importOpenMetrics(Array("a 1 100\nb 2\n# EOF\n".utf8), file: "in.om", into: tmp.store)
            Issue.record("must fail")
        } catch {
            #expect("\(error)".contains("in.om:2: sample of b has no timestamp"), "\(error)")
        }
        #expect(tmp.store.stats().blocks == 0)
        try await tmp.store.close()
    }
}
