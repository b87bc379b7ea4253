import Testing
import KansokuCore
@testable import KansokuLogQL

@Suite struct PipelineConformanceTests {
    @Test func lineFilterMatches() throws {
        guard let rows = Conformance.rows("line_filter_matches.tsv"), let raw = Conformance.rawRows("line_filter_matches.tsv") else { return }
        var passed = 0
        let labels = Labels(["app": "bar"])
        for (r, rawRow) in zip(rows, raw) {
            let want = r[2] == "1"
            do {
                guard case .log(let sel) = try LogQLParser.parse(r[0]) else { print("NOT A LOG QUERY \(r[0])"); continue }
                let p = try LogPipeline(sel)
                let got = p.process(labels: labels, line: rawRow[1]).keep
                if got == want { passed += 1 } else { print("LINE \(r[0]) | \(r[1]): got \(got) want \(want)") }
            } catch {
                print("ERROR \(r[0]): \(error)")
            }
        }
        Conformance.report("line_filter_matches.tsv", passed, rows.count)
        #expect(passed >= 163)
    }
}
