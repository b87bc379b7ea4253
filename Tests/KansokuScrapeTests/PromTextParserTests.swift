import KansokuCore
import Testing
@testable import KansokuScrape

@Suite struct PromTextParserTests {
    func parse(_ text: String) throws -> ParsedExposition {
        try parseExposition(Array(text.utf8), format: .prometheusText)
    }

    func error(_ text: String) -> ExpositionError? {
        do { _ = try parse(text); return nil } catch { return error as? ExpositionError }
    }

    @Test func samplesMetadataAndComments() throws {
        let text = """
        # HELP go_gc_duration_seconds A summary of the GC invocation durations.
        # 	TYPE go_gc_duration_seconds summary
        go_gc_duration_seconds{quantile="0"} 4.9351e-05
        go_gc_duration_seconds{quantile="0.25",} 7.424100000000001e-05
        go_gc_duration_seconds{ quantile = "1.0", a = "b" } 8.3835e-05
        # Hrandom comment starting with prefix of HELP
        #
        # HELP nohelp1
        # HELP help2 escape \\ \\n \\\\ \\" \\x chars
        nohelp1 1
        go_goroutines 33  \t123123
        _metric_starting_with_underscore 1
        testmetric{_label_starting_with_underscore="foo"} 1
        some:aggregate:rate5m{a_b="c"}\t1
        null_byte_metric{a="abc\u{0}"} 1
        # EOF

        """
        let parsed = try parse(text)
        #expect(parsed.samples.count == 9)
        #expect(parsed.metadata["go_gc_duration_seconds"]?.type == .summary)
        #expect(parsed.metadata["go_gc_duration_seconds"]?.help == "A summary of the GC invocation durations.")
        #expect(parsed.metadata["nohelp1"]?.help == "")
        #expect(parsed.metadata["help2"]?.help == "escape \\ \n \\ \\\" \\x chars")
        #expect(parsed.samples[1].labels == Labels(["__name__": "go_gc_duration_seconds", "quantile": "0.25"]))
        #expect(parsed.samples[2].labels["a"] == "b")
        #expect(parsed.samples[2].type == .summary)
        #expect(parsed.samples[4].timestamp == 123123)
        #expect(parsed.samples[4].value == 33)
        #expect(parsed.samples[7].labels["__name__"] == "some:aggregate:rate5m")
        #expect(parsed.samples[8].labels["a"] == "abc\u{0}")
    }

    @Test func labelValueEscapes() throws {
        let parsed = try parse(#"m{a="x\\y",b="q\"r",c="l\nm",d="\t"} 1"# + "\n")
        let l = parsed.samples[0].labels
        #expect(l["a"] == "x\\y")
        #expect(l["b"] == "q\"r")
        #expect(l["c"] == "l\nm")
        #expect(l["d"] == "\\t")
    }

    @Test func specialValues() throws {
        let parsed = try parse("a NaN\nb +Inf\nc -Inf\nd -0.5e-3\ne 1e10 -5\n")
        #expect(parsed.samples[0].value.isNaN)
        #expect(parsed.samples[1].value == .infinity)
        #expect(parsed.samples[2].value == -.infinity)
        #expect(parsed.samples[3].value == -0.0005)
        #expect(parsed.samples[4].timestamp == -5)
    }

    @Test func errorsNamePositionAndExpectation() throws {
        let cases: [(String, Int, Int, String)] = [
            ("a{b='c'} 1\n", 1, 5, "expected \"\"\" to open the label value"),
            ("ok 1\nfoo 1_2\n", 2, 5, "expected sample value"),
            ("foo 0x1p-3\n", 1, 5, "expected sample value"),
            ("{a=\"ok\"} 1\n", 1, 1, "expected metric name"),
            ("{A}0\n", 1, 1, "expected metric name"),
            ("a{b=\"c\",b=\"d\"} 1\n", 1, 9, "duplicate label name"),
            ("a 1", 1, 4, "expected newline at end of input"),
            ("a 1 1.5\n", 1, 5, "expected timestamp"),
            ("# TYPE a meh\n", 1, 10, "expected metric type"),
            ("a{b=\"c} 1\n", 1, 5, "unterminated label value"),
        ]
        for (text, line, column, message) in cases {
            let e = try #require(error(text), "\(text) must be rejected")
            #expect(e.position == SourcePosition(line: line, column: column), "\(text): \(e)")
            #expect(e.message.contains(message), "\(text): \(e)")
        }
        let invalidUTF8: [UInt8] = Array("a{b=\"".utf8) + [0xff, 0xfe] + Array("\"} 1\n".utf8)
        #expect(throws: ExpositionError.self) { try parseExposition(invalidUTF8, format: .prometheusText) }
    }

    @Test func seriesKeyIsTheRawNameAndLabels() throws {
        var p = PromTextParser(Array("x{a=\"1\"} 5\ny 6\n".utf8))
        #expect(try p.next() == .sample)
        #expect(String(decoding: p.sampleSeriesKey, as: UTF8.self) == "x{a=\"1\"}")
        #expect(try p.next() == .sample)
        #expect(String(decoding: p.sampleSeriesKey, as: UTF8.self) == "y")
        #expect(try p.next() == nil)
    }

    @Test func histogramSuffixesTakeTheFamilyType() throws {
        let parsed = try parse("""
        # TYPE h histogram
        h_bucket{le="1"} 1
        h_bucket{le="+Inf"} 2
        h_sum 3
        h_count 2
        other 1

        """)
        #expect(parsed.samples.prefix(4).allSatisfy { $0.type == .histogram })
        #expect(parsed.samples[4].type == .unknown)
    }
}

