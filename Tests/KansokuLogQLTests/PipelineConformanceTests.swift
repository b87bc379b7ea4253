import KansokuTestSupport
import Testing
import KansokuCore
@testable import KansokuLogQL

@Suite struct PipelineConformanceTests {
    @Test(.requires(Conformance.requirement))
    func lineFilterMatches() throws {
        let (rows, raw) = try Conformance.requireRows("line_filter_matches.tsv")
        var ledger = ConformanceLedger("LOGQL line_filter_matches.tsv", exclusions: LogQLConformanceExclusions.lineFilterMatches)
        let labels = Labels(["app": "bar"])
        for (n, (r, rawRow)) in zip(rows, raw).enumerated() {
            let id = "line_filter_matches.tsv row \(n + 1)"
            let want = r[2] == "1"
            do {
                guard case .log(let sel) = try LogQLParser.parse(r[0]) else {
                    ledger.record(id, passed: false, detail: "not a log query: \(r[0])")
                    continue
                }
                let p = try LogPipeline(sel)
                let got = p.process(labels: labels, line: rawRow[1]).keep
                ledger.record(id, passed: got == want, detail: "\(r[0]) | \(r[1]): got \(got) want \(want)")
            } catch {
                ledger.record(id, passed: false, detail: "\(r[0]): \(error)")
            }
        }
        ledger.finish()
    }
}
