import KansokuCore
import Testing
@testable import KansokuLogQL
@testable import KansokuTemplate

/// LogQL's `line_format`/`label_format` language: labels as `.name`, Loki's functions.
@Suite struct LokiTemplateTests {
    func render(_ t: String, labels: [String: String] = ["app": "api", "level": "warn", "n": "3"], line: String = "abc",
                timestamp: Int64 = 1_700_000_000_123_456_789, limit: Int = 1 << 20) throws -> String {
        switch try LineTemplate(t, outputLimit: limit).render(labels: labels, line: line, timestamp: timestamp) {
        case .success(let s): return s
        case .failure(let e): return "error: " + e.message
        }
    }

    @Test func labelsLineAndTime() throws {
        #expect(try render("{{.level | upper}} {{.app}}: {{__line__}}") == "WARN api: abc")
        #expect(try render("[{{.missing}}][{{.a.b}}]") == "[][]")
        #expect(try render("{{ range $k, $v := . }}{{ $k }}={{ $v }},{{ end }}") == "app=api,level=warn,n=3,")
        #expect(try render("{{ __timestamp__ }} {{ unixEpoch }} {{ unixEpochMillis }}") == "1700000000123456789 1700000000 1700000000123")
        #expect(try render("{{ mulf 1000000 2 }} {{ divf 1 100000 }} {{ add .n 4 }}") == "2000000 1e-05 7")
    }

    @Test func lokiFunctions() throws {
        #expect(try render(#"{{ regexReplaceAll "(\\w)(\\w+)" .app "${2}-$1" }}"#) == "pi-a")
        #expect(try render(#"{{ regexReplaceAllLiteral "p" .app "$1" }}"#) == "a$1i")
        #expect(try render(#"{{ replace "a" "A" .app }} {{ Replace "aaa" "a" "b" 2 }} {{ trimPrefix "a" .app }} {{ TrimSuffix .app "i" }}"#) == "Api bba pi ap")
        #expect(try render(#"{{ default "none" .missing }} {{ default "none" .app }} {{ coalesce "" .app }} {{ empty "" }}"#) == "none api api true")
        #expect(try render(#"{{ repeat 3 "ab" }} {{ substr 1 3 "hello" }} {{ trunc 2 "hello" }} {{ trunc -2 "hello" }}"#) == "ababab el he lo")
        #expect(try render(#"{{ indent 2 "a\nb" }}|{{ nindent 1 "x" }}"#) == "  a\n  b|\n x")
        #expect(try render(#"{{ count "a" "banana" }} {{ cat "a" 1 "b" }} {{ contains "pi" .app }} {{ hasPrefix "ap" .app }}"#) == "3 a 1 b true true")
        #expect(try render("{{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 3 }} {{ round 2.567 2 }} {{ ceil 1.2 }} {{ floor -1.2 }}") == "3 1 5 2.57 2 -2")
        #expect(try render(#"{{ b64enc "hi" }} {{ b64dec "aGk=" }} {{ urlencode "a b/c" }} {{ urldecode "a+b%2Fc" }}"#) == "aGk= hi a%20b%2Fc a b/c")
        #expect(try render(#"{{ quote "a\"b" }} {{ squote "x" }} {{ alignLeft 5 "ab" }}| {{ alignRight 4 "ab" }}"#) == #""a\"b" 'x' ab   |   ab"#)
        #expect(try render(#"{{ bytes "1 KB" }} {{ duration "1m30s" }} {{ toString 5 }} {{ int "12" }} {{ float64 "1.5" }}"#) == "1000 90 5 12 1.5")
    }

    @Test func errorsOfFunctions() throws {
        #expect(try render(#"{{ regexReplaceAll "(" .app "x" }}"#) == "error: invalid regexp \"(\": missing ): (")
        #expect(try render("{{ div 1 0 }}") == "error: integer divide by zero")
        #expect(try render(#"{{ b64dec "!" }}"#) == "error: illegal base64 data")
        #expect(throws: LogQLError.execution("template: line:1: function \"humanize\" not defined")) { try LineTemplate("{{ humanize 1 }}") }
    }

    /// `regexReplaceAll` with a literal pattern compiles it with the template, not per line.
    @Test func literalPatternsCompileWithTheTemplate() throws {
        let t = try LineTemplate(#"{{ regexReplaceAll "a+" __line__ "b" }}{{ regexReplaceAllLiteral "c" __line__ "d" }}{{ regexReplaceAll .app __line__ "e" }}"#)
        #expect(Set(t.template.program.regexes.keys) == ["a+", "c"])
    }

    @Test func deepTemplatesAreRefused() {
        let ifs = String(repeating: "{{if 1}}", count: 100_000) + "x" + String(repeating: "{{end}}", count: 100_000)
        #expect(throws: LogQLError.execution("template: line:1: if blocks nested deeper than 256 levels")) { try LineTemplate(ifs) }
        let parens = "{{" + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + "}}"
        #expect(throws: LogQLError.execution("template: line:1: parentheses nested deeper than 256 levels")) { try LineTemplate(parens) }
    }

    @Test func templateFunctionsAreBoundedAndNeverTrap() throws {
        let over = "error: template output exceeds the limit of 1048576 bytes (max_template_output_bytes)"
        #expect(try render(#"{{ repeat 1000000000 "x" }}"#) == over)
        #expect(try render(#"{{ printf "%999999999d" 1 }}"#) == over)
        #expect(try render(#"{{ printf "%.999999999f" 1.5 }}"#) == over)
        #expect(try render(#"{{ indent 100000000 "x" }}"#) == over)
        #expect(try render(#"{{ replace "" (repeat 100000 "y") (repeat 100000 "x") }}"#) == over)
        #expect(try render(#"{{ indent -1 "x" }}"#) == "error: strings: negative Repeat count")
        #expect(try render(#"{{ repeat -1 "x" }}"#) == "error: strings: negative Repeat count")
        #expect(try render("{{ add 9223372036854775807 1 }}") == "-9223372036854775808")
        #expect(try render("{{ mul 9223372036854775807 2 }}") == "-2")
        #expect(try render("{{ div -9223372036854775808 -1 }}") == "-9223372036854775808")
        #expect(try render("{{ int 1e300 }}") == "-9223372036854775808")
        #expect(try render(#"{{ trunc -9223372036854775808 "abc" }}"#) == "abc")
        #expect(try render(#"{{ alignLeft -5 "abc" }}"#) == "abc")
        #expect(try render(#"{{ regexReplaceAll "" __line__ "yyyyyyyyyy" }}"#, line: String(repeating: "a", count: 200_000)) == over)
        #expect(try render("{{ .app }}", limit: 2) == "error: template output exceeds the limit of 2 bytes (max_template_output_bytes)")
    }
}
