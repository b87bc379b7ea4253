import Testing
import Foundation
import KansokuCore
import KansokuLogStore
@testable import KansokuLogQL

/// Deep, huge and overflowing LogQL: every one is a positioned error or a bounded answer.
@Suite struct HostileLogQLTests {
    func parseError(_ q: String) -> String {
        do { _ = try LogQLParser.parse(q); return "parsed" } catch { return error.description }
    }

    @Test func deepNestingIsAPositionedParseError() {
        let deep = String(repeating: "(", count: 100_000) + "vector(1)" + String(repeating: ")", count: 100_000)
        #expect(parseError(deep) == "parse error at line 1, col 257: syntax error: expression nested deeper than 256 levels")
        let sums = String(repeating: "sum(", count: 100_000) + "vector(1)" + String(repeating: ")", count: 100_000)
        #expect(parseError(sums) == "parse error at line 1, col 1025: syntax error: expression nested deeper than 256 levels")
        let chain = Array(repeating: "vector(1)", count: 100_000).joined(separator: "+")
        #expect(parseError(chain).hasSuffix("syntax error: expression nested deeper than 256 levels"))
        let filters = "{a=\"b\"} | " + Array(repeating: "x=\"1\"", count: 100_000).joined(separator: " or ")
        #expect(parseError(filters).hasSuffix("syntax error: expression nested deeper than 256 levels"))
        let ranges = "count_over_time(" + String(repeating: "(", count: 100_000) + "{a=\"b\"}" + String(repeating: ")", count: 100_000) + "[1m])"
        #expect(parseError(ranges).hasSuffix("syntax error: expression nested deeper than 256 levels"))
    }

    @Test func realisticNestingStillParsesAndPrints() throws {
        let q = String(repeating: "sum(", count: 200) + "count_over_time({a=\"b\"}[1m])" + String(repeating: ")", count: 200)
        let e = try LogQLParser.parse(q)
        #expect(LogQLPrettier().format(e).contains("count_over_time"))
        let chain = try LogQLParser.parse(Array(repeating: "vector(1)", count: 200).joined(separator: " + "))
        #expect(chain.description.hasPrefix("((vector(1.000000)") || !chain.description.isEmpty)
    }

    /// Fuzz findings `Fuzz/Crashes/logql/*bang*`: a character the lexer does not know, where
    /// a label name goes, is a positioned error (it used to be taken as the name `!` and
    /// printed back as a line filter).
    @Test func unknownCharactersAreNotLabelNames() throws {
        #expect(parseError("{app=\"foo\"} | logfmt !| count > -0") == "parse error at line 1, col 22: syntax error: unexpected \"!\"")
        #expect(parseError("sum by(cluster)(rate({job=\"foo\"} |= \"bar\" | logfmt!| bazz=\"buzz\"[5m]))").contains("unexpected \"!\""))
        #expect(parseError("{app=\"foo\"} | ! = \"x\"").contains("unexpected \"!\""))
        #expect(parseError("{app=\"foo\"} | drop ! ").contains("unexpected \"!\", expecting IDENTIFIER"))
        #expect(parseError("{app=\"foo\"} | label_format a=é").contains("unexpected \"é\""))
        // Real names still parse, and print back to themselves.
        let e = try LogQLParser.parse("{app=\"foo\"} | logfmt status, took=\"duration\" | status >= 500")
        #expect(try LogQLParser.parse(e.description).description == e.description)
    }

    @Test func deeplyNestedJSONLinesAreParserErrorsNotCrashes() {
        let arrays = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let objects = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        for line in [arrays, objects] {
            var sc = Array(line.utf8)
            let thrown = sc.withUnsafeMutableBytes { b -> Bool in
                var s = JSONStage.scanner(UnsafeRawBufferPointer(b))
                do { try s.skipValue(); return false } catch { return true }
            }
            #expect(thrown)
        }
        let ok = String(repeating: #"{"a":"#, count: 200) + "1" + String(repeating: "}", count: 200)
        let parsed = Array(ok.utf8).withUnsafeBytes { b -> Bool in
            var s = JSONStage.scanner(b)
            return (try? s.skipValue()) != nil
        }
        #expect(parsed)
    }

    @Test func seriesLimitIsLokisMessage() async throws {
        var batches: [StreamBatch] = []
        for i in 0..<5 { batches.append(StreamBatch(labels: Labels(["app": "a\(i)"]), entries: [LogEntry(timestamp: 1_000_000_000, line: "x")])) }
        let engine = LogQLEngine(reader: MemoryLogReader(batches, blockEntries: 16))
        await #expect(throws: LogQLError.execution("maximum number of series (3) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()")) {
            try await LogQLLimits.$current.withValue(LogQLLimits(maxQuerySeries: 3)) {
                _ = try await engine.queryInstant("count_over_time({app=~\"a.*\"}[1m])", tenant: LogStore.defaultTenant, time: 30_000_000_000)
            }
        }
    }

    @Test func longestRangeIsFound() throws {
        #expect(try LogQLParser.parse("sum(rate({a=\"b\"}[5m])) / sum(rate({a=\"b\"}[3650d]))").longestRange == 3650 * 86_400_000_000_000)
        #expect(try LogQLParser.parse("{a=\"b\"}").longestRange == 0)
    }
}
