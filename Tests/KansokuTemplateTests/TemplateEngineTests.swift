import KansokuCore
import Testing
@testable import KansokuTemplate

/// A label set as data, with a `greet` function and a predefined `$who`, to test the engine
/// apart from either language that uses it.
struct Labelled: TemplateData {
    var labels: [String: String]
    var dot: TemplateValue { .map(labels) }
    func field(_ path: [String]) throws(TemplateError) -> TemplateValue { try dot.field(path) }
}

let testLanguage = TemplateLanguage(
    functions: [
        "greet": TemplateFunction { c throws(TemplateError) in .string("hello " + (try c.string(0))) },
        "find": TemplateFunction(regexArgument: 0) { c throws(TemplateError) in
            .bool(try c.regex(try c.string(0)).firstMatch(in: try c.string(1)) != nil)
        },
    ],
    variables: ["who"], floats: .goPrint, limitSetting: "max_bytes")

func render(_ source: String, _ labels: [String: String] = ["app": "web", "n": "7"], limit: Int = 1 << 20) -> String {
    do {
        let t = try Template(source, language: testLanguage, outputLimit: limit)
        return try t.render(Labelled(labels: labels), variables: [("who", .string("ops"))])
    } catch {
        return "error: \(error)"
    }
}

@Suite struct TemplateEngineTests {
    @Test func textFieldsAndPipelines() {
        #expect(render("app={{.app}} n={{ .n }}") == "app=web n=7")
        #expect(render("{{.missing}}") == "<no value>")
        #expect(render("{{ .app | greet }}") == "hello web")
        #expect(render("{{ greet (greet .app) }}") == "hello hello web")
        #expect(render("{{ $who }}/{{ $.app }}") == "ops/web")
        #expect(render("{{ . }}") == "map[app:web n:7]")
        #expect(render("{{ 42 }} {{ -1.5 }} {{ 1e6 }} {{ 0x1F }} {{ 'a' }} {{ true }}") == "42 -1.5 1e+06 31 97 true")
        #expect(render(#"{{ "a\tb" }}{{ `raw\n` }}"#) == "a\tbraw\\n")
    }

    @Test func trimMarkersAndComments() {
        #expect(render("a  {{- .app -}}  \n b") == "awebb")
        #expect(render("a {{/* note */}} b") == "a  b")
        #expect(render("a {{- /* note */ -}} b") == "ab")
        #expect(render("{{-3}}") == "-3")
    }

    @Test func conditionsAndVariables() {
        #expect(render("{{ if eq .app \"web\" }}yes{{ else }}no{{ end }}") == "yes")
        #expect(render("{{ if eq .app \"db\" }}1{{ else if eq .n \"7\" }}2{{ else }}3{{ end }}") == "2")
        #expect(render("{{ if .missing }}x{{ end }}.") == ".")
        #expect(render("{{ $x := greet .app }}{{ $x }}!{{ $x = \"b\" }}{{ $x }}") == "hello web!b")
        #expect(render("{{ if $y := .app }}{{ $y }}{{ end }}") == "web")
        #expect(render("{{ if true }}{{ $z := 1 }}{{ end }}{{ $z }}") == "error: line:1: undefined variable \"$z\"")
        #expect(render("{{ $nope }}") == "error: line:1: undefined variable \"$nope\"")
    }

    /// `with` sets dot to a value that is not empty; `range` walks a label set in name order.
    @Test func withAndRange() {
        #expect(render("{{ with .app }}<{{ . }}>{{ else }}none{{ end }}") == "<web>")
        #expect(render("{{ with .missing }}x{{ else }}none{{ end }}") == "none")
        #expect(render("{{ with $a := .app }}{{ $a }}{{ . }}{{ end }}|{{ .app }}") == "webweb|web")
        #expect(render("{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}") == "app=web;n=7;")
        #expect(render("{{ range . }}[{{ . }}]{{ end }}") == "[web][7]")
        #expect(render("{{ range $v := . }}{{ $v }}{{ $who }}{{ end }}") == "webops7ops")
        #expect(render("{{ range .missing }}x{{ else }}empty{{ end }}") == "empty")
        #expect(render("{{ range .app }}x{{ end }}") == "error: range can't iterate over web")
        #expect(render("{{ range $k, $v := . }}{{ end }}{{ $k }}") == "error: line:1: undefined variable \"$k\"")
        #expect(render("{{ with 1 }}{{ else if 2 }}{{ end }}") == "error: line:1: else if in with")
        #expect(render(String(repeating: "{{ with 1 }}", count: 300)) == "error: line:1: with blocks nested deeper than 256 levels")
        #expect(render(String(repeating: "{{ range . }}", count: 300)) == "error: line:1: range blocks nested deeper than 256 levels")
        // 20^4 = 160000 empty iterations: bounded although they build nothing.
        let labels = Dictionary(uniqueKeysWithValues: (0..<20).map { ("l\($0)", "v") })
        let nested = "{{ range $ }}{{ range $ }}{{ range $ }}{{ range $ }}{{ end }}{{ end }}{{ end }}{{ end }}"
        #expect(render(nested, labels) == "error: range iterations exceed the limit of 100000")
        #expect(render("{{ range $ }}{{ range $ }}{{ range $ }}.{{ end }}{{ end }}{{ end }}", labels) == String(repeating: ".", count: 8000))
    }

    @Test func builtins() {
        #expect(render("{{ eq 1 2 3 1 }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1.5 2 }}") == "true true true true true false")
        #expect(render("{{ and 1 0 2 }} {{ or 0 \"\" \"x\" }} {{ not 0 }}") == "0 x true")
        #expect(render("{{ len .app }} {{ len . }} {{ index . \"app\" }}[{{ index . \"none\" }}]") == "3 2 web[]")
        #expect(render("{{ print 1 2 \"a\" 3 \"b\" }}|{{ println \"x\" 1 }}") == "1 2a3b|x 1\n")
        #expect(render(#"{{ html "<a href='x'>&\"" }}"#) == "&lt;a href=&#39;x&#39;&gt;&amp;&#34;")
        #expect(render(#"{{ js "it's <b>=\\" }}"#) == #"it\'s \u003Cb\u003E\u003D\\"#)
        #expect(render(#"{{ urlquery "a b&c=d/é" }}"#) == "a+b%26c%3Dd%2F%C3%A9")
    }

    /// Go's `fmt.Sprintf` outputs, verb by verb.
    @Test func printf() {
        #expect(render(#"{{ printf "%s|%5s|%-5s|%.2s|%q" "abc" "ab" "ab" "abc" "a\"b" }}"#) == #"abc|   ab|ab   |ab|"a\"b""#)
        #expect(render(#"{{ printf "%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%#x" 42 42 42 -42 42 255 255 8 5 255 }}"#) == "42|   42|42   |-0042|+42|ff|FF|10|101|0xff")
        #expect(render(#"{{ printf "%x" -255 }}"#) == "-ff")
        #expect(render(#"{{ printf "%.2f|%8.3f|%-8.1f|%+.1f|%e|%g|%g|%G" 3.14159 2.5 2.5 2.5 1234.5678 0.1 1e6 1e-7 }}"#)
                == "3.14|   2.500|2.5     |+2.5|1.234568e+03|0.1|1e+06|1E-07")
        #expect(render(#"{{ printf "%f|%v|%5.1f" 1.0 1.5 -0.25 }}"#) == "1.000000|1.5| -0.2")
        #expect(render(#"{{ printf "%t %v %c %U" true 7 65 65 }}"#) == "true 7 A U+0041")
        #expect(render(#"{{ printf "%x" "hi" }}|{{ printf "%d" "x" }}|{{ printf "%d" }}|{{ printf "%z" 1 }}|{{ printf "100%%" }}"#)
                == "6869|%!d(string=x)|%!d(MISSING)|%!z(int=1)|100%")
    }

    @Test func parseErrorsArePositioned() {
        #expect(render("a\nb {{ nosuch }}") == "error: line:2: function \"nosuch\" not defined")
        #expect(render("{{ .app ") == "error: line:1: unclosed action")
        #expect(render("{{ if 1 }}x") == "error: line:1: unexpected EOF")
        #expect(render("x{{ end }}") == "error: line:1: unexpected {{end}}")
        #expect(render("{{ define \"x\" }}{{ end }}") == "error: line:1: unsupported action define")
        #expect(render("{{ (1 }}") == "error: line:1: unclosed left paren")
        #expect(render("{{ \"a }}") == "error: line:1: unclosed action")
        #expect(render("{{ 1 2 }}") == "error: can't give argument to non-function")
    }

    /// Nesting is bounded at parse time, with the line of the action that went too deep.
    @Test func deepNestingIsAPositionedParseError() {
        let ifs = "\n" + String(repeating: "{{if 1}}", count: 100_000) + "x" + String(repeating: "{{end}}", count: 100_000)
        #expect(render(ifs) == "error: line:2: if blocks nested deeper than 256 levels")
        let parens = "{{" + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000) + "}}"
        #expect(render(parens) == "error: line:1: parentheses nested deeper than 256 levels")
        let ok = String(repeating: "{{if 1}}", count: 256) + "x" + String(repeating: "{{end}}", count: 256)
        #expect(render(ok) == "x")
    }

    @Test func outputIsBounded() {
        #expect(render(String(repeating: "x", count: 11), limit: 10) == "error: template output exceeds the limit of 10 bytes (max_bytes)")
        #expect(render("{{ .app }}{{ .app }}{{ .app }}{{ .app }}", limit: 10) == "error: template output exceeds the limit of 10 bytes (max_bytes)")
        #expect(render(#"{{ printf "%20s" "a" }}"#, limit: 10) == "error: template output exceeds the limit of 10 bytes (max_bytes)")
        #expect(render("0123456789", limit: 10) == "0123456789")
    }

    /// A regex written as a literal compiles with the template, once; a computed one when used.
    @Test func literalRegexesCompileOnce() throws {
        let t = try Template(#"{{ find "^w.b$" .app }} {{ find (print "^" .app) "web" }} {{ find "^x" .app }}"#, language: testLanguage, outputLimit: 1 << 20)
        #expect(Set(t.program.regexes.keys) == ["^w.b$", "^x"])
        #expect(try t.render(Labelled(labels: ["app": "web"])) == "true true false")
        let bad = try Template(#"{{ find "(" .app }}"#, language: testLanguage, outputLimit: 1 << 20)
        #expect(bad.program.regexes.isEmpty)
        #expect(throws: TemplateError.execution("invalid regexp \"(\": missing ): (")) { try bad.render(Labelled(labels: ["app": "web"])) }
    }
}
