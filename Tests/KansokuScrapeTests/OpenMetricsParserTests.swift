import KansokuCore
import Testing
@testable import KansokuScrape

@Suite struct OpenMetricsParserTests {
    func parse(_ text: String, strict: Bool = false) throws(ExpositionError) -> ParsedExposition {
        var p = OpenMetricsParser(Array(text.utf8), strict: strict)
        return try p.collect()
    }

    @Test func exemplarsTimestampsAndTypes() throws {
        let parsed = try parse("""
        # TYPE rpc_duration_seconds histogram
        # UNIT rpc_duration_seconds seconds
        # HELP rpc_duration_seconds RPC latency \\"quoted\\".
        rpc_duration_seconds_bucket{le="0.1"} 3 # {trace_id="abc"} 0.07 1520879607.789
        rpc_duration_seconds_bucket{le="+Inf"} 5 # {trace_id="def"} 2
        rpc_duration_seconds_count 5
        rpc_duration_seconds_sum 3.2
        rpc_duration_seconds_created 1520870000.123
        # TYPE build info
        build_info{version="1.2"} 1 1520879608.5
        # EOF

        """, strict: true)
        #expect(parsed.metadata["rpc_duration_seconds"] == FamilyMetadata(type: .histogram, help: "RPC latency \"quoted\".", unit: "seconds"))
        let first = parsed.samples[0]
        #expect(first.exemplar == Exemplar(labels: Labels(["trace_id": "abc"]), value: 0.07, timestamp: 1_520_879_607_789))
        #expect(first.timestamp == nil)
        #expect(parsed.samples[5].timestamp == 1_520_879_608_500)
        #expect(parsed.samples[1].exemplar?.timestamp == nil)
        #expect(parsed.samples.prefix(5).allSatisfy { $0.type == .histogram })
        #expect(parsed.samples[5].type == .info)
    }

    @Test func requiresEOF() {
        #expect(throws: ExpositionError.self) { try parse("a 1\n") }
        #expect(throws: ExpositionError.self) { try parse("a 1\n# EOF\nb 1\n") }
        #expect(throws: ExpositionError.self) { try parse("a 1\n\n# EOF\n") }
        #expect(throws: Never.self) { try parse("a 1\n# EOF") }
    }

    @Test func errorsNamePosition() throws {
        do throws(ExpositionError) {
            _ = try parse("# TYPE a counter\na_total 1\na_total{x=\"1\"}  2\n# EOF\n")
            Issue.record("must fail")
        } catch {
            #expect(error.position == SourcePosition(line: 3, column: 16))
            #expect(error.message.hasPrefix("expected sample value"), "\(error)")
        }
        do throws(ExpositionError) {
            _ = try parse("# TYPE a histogram\na_bucket{le=\"2\"} 1\na_bucket{le=\"1\"} 1\na_bucket{le=\"+Inf\"} 1\n# EOF\n", strict: true)
            Issue.record("must fail")
        } catch {
            #expect(error.position.line == 3)
            #expect(error.message.contains("out of order"), "\(error)")
        }
    }

    @Test func lenientModeAcceptsWhatPrometheusAccepts() throws {
        // A counter without _total and buckets out of order: Prometheus scrapes these.
        let text = "# TYPE a counter\na 1\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n# EOF\n"
        #expect(try parse(text).samples.count == 3)
        #expect(throws: ExpositionError.self) { try parse(text, strict: true) }
    }
}
