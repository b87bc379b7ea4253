import KansokuCore
import Testing
import KansokuRules
import KansokuTemplate

/// Alert label and annotation templates: Prometheus's variables, fields and functions.
@Suite struct AlertTemplateTests {
    func expand(_ t: String, labels: [String: String] = ["instance": "web-1:9100", "job": "node"], value: Double = 0.12345) throws -> String {
        try AlertTemplate(t).expand(AlertTemplate.Data(labels: labels, value: value, externalLabels: ["cluster": "eu"], externalURL: "http://k:3100"))
    }

    @Test func variablesAndFields() throws {
        #expect(try expand("{{ $labels.instance }} of {{ .Labels.job }} is {{ $value }}") == "web-1:9100 of node is 0.12345")
        #expect(try expand("{{$labels.missing}}") == "<no value>")
        #expect(try expand("at {{ $externalURL }} in {{ $externalLabels.cluster }} / {{ .ExternalLabels.cluster }}") == "at http://k:3100 in eu / eu")
        #expect(try expand("{{ .Value }} {{ $value }}", value: 1_500_000) == "1.5e+06 1.5e+06")
        #expect(try expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }} {{ end }}") == "instance=web-1:9100 job=node ")
        #expect(try expand("{{ range .Labels }}{{ . }}/{{ $value }} {{ end }}") == "web-1:9100/0.12345 node/0.12345 ")
        #expect(try expand("{{ with $labels.job }}job {{ . }}{{ end }}{{ with $labels.none }}x{{ end }}") == "job node")
        #expect(try expand("{{ .Nope }}") == "<error expanding template: can't evaluate field Nope>")
        // Prometheus's own preamble, written out, still works.
        #expect(try expand("{{ $labels := .Labels }}{{ $v := .Value }}{{ $labels.job }}={{ $v }}") == "node=0.12345")
    }

    @Test func prometheusFunctions() throws {
        #expect(try expand("{{ $value | humanize }}", value: 1234567) == "1.235M")
        #expect(try expand("{{ humanize $value }}", value: 0.0021) == "2.1m")
        #expect(try expand("{{ $value | humanizePercentage }}", value: 0.2) == "20%")
        #expect(try expand("{{ humanizeDuration $value }}", value: 3725) == "1h 2m 5s")
        #expect(try expand("{{ humanizeDuration $value }}", value: 0.25) == "250ms")
        #expect(try expand("{{ $value | humanize1024 }}", value: 2048) == "2ki")
        // Prometheus's own cases: a time.Time printed in UTC, to the millisecond.
        #expect(try expand("{{ 1435065584.128 | humanizeTimestamp }}") == "2015-06-23 13:19:44.128 +0000 UTC")
        #expect(try expand("{{ humanizeTimestamp $value }}", value: 1_700_000_000) == "2023-11-14 22:13:20 +0000 UTC")
        #expect(try expand("{{ toTime 1435065584.1289 }}") == "2015-06-23 13:19:44.128 +0000 UTC")
        #expect(try expand("{{ humanizeTimestamp $value }}", value: .infinity) == "+Inf")
        #expect(try expand("{{ printf \"%.2f\" $value }}") == "0.12")
        #expect(try expand("{{ $labels.instance | stripPort | toUpper }}") == "WEB-1")
        #expect(try expand("{{ stripDomain \"db.example.com:5432\" }} {{ title \"hello world\" }} {{ toLower \"AB\" }}") == "db:5432 Hello World ab")
        #expect(try expand("{{ if gt $value 0.1 }}high{{ else }}low{{ end }}") == "high")
        #expect(try expand("{{- /* note */ -}} x {{- \" y\" }}") == "x y")
        #expect(try expand("{{ parseDuration \"1m30s\" }} {{ len $labels }} {{ index $labels \"job\" }}") == "90 2 node")
        #expect(try expand(#"{{ urlquery "a b" }} {{ html "<b>" }} {{ safeHtml "<b>" }}"#) == "a+b &lt;b&gt; <b>")
    }

    /// Regex functions use RE2 and Go's replacement syntax (`$1`, `${1}`, `$name`), as
    /// Prometheus's `reReplaceAll` and `match` do; a `}` in the replacement stays (it used to
    /// be dropped).
    @Test func regexFunctionsAsGoHasThem() throws {
        #expect(try expand(#"{{ reReplaceAll "a(x*)b" "${1}W" "-ab-axxb-" }}"#) == "-W-xxW-")
        #expect(try expand(#"{{ reReplaceAll "a(x*)b" "$1W" "-ab-axxb-" }}"#) == "---")
        #expect(try expand(#"{{ reReplaceAll "(.*):(\\d+)" "{$1}" $labels.instance }}"#) == "{web-1}")
        #expect(try expand(#"{{ reReplaceAll "(.*):(\\d+)" "${1}}" $labels.instance }}"#) == "web-1}")
        #expect(try expand(#"{{ reReplaceAll ":" "}}" $labels.instance }}"#) == "web-1}}9100")
        #expect(try expand(#"{{ reReplaceAll "(?P<host>[^:]+):.*" "${host}" $labels.instance }}"#) == "web-1")
        #expect(try expand(#"{{ if match "^web-[0-9]" $labels.instance }}yes{{ else }}no{{ end }}"#) == "yes")
        #expect(try expand(#"{{ if match "^db" $labels.instance }}yes{{ else }}no{{ end }}"#) == "no")
        #expect(try expand(#"{{ reReplaceAll "(" "x" "y" }}"#) == "<error expanding template: invalid regexp \"(\": missing ): (>")
    }

    /// Alert templates have the same output bound as LogQL's: a megabyte.
    @Test func outputIsBounded() throws {
        let over = "<error expanding template: template output exceeds the limit of 1048576 bytes>"
        #expect(try expand(#"{{ printf "%2000000s" "x" }}"#) == over)
        #expect(try expand(#"{{ reReplaceAll "" "yyyyyyyyyy" $labels.big }}"#, labels: ["big": String(repeating: "a", count: 200_000)]) == over)
        #expect(try expand("{{ $labels.big }}{{ $labels.big }}", labels: ["big": String(repeating: "a", count: 600_000)]) == over)
    }

    @Test func errorsAreReportedWithTheirLine() {
        #expect(throws: TemplateError.parse(line: 1, message: "function \"nosuchfn\" not defined")) { try AlertTemplate("{{ nosuchfn $value }}") }
        #expect(throws: TemplateError.parse(line: 2, message: "unclosed action")) { try AlertTemplate("a\n{{ $value ") }
        #expect(throws: TemplateError.parse(line: 1, message: "unexpected EOF")) { try AlertTemplate("{{ if $value }}x") }
        #expect(throws: TemplateError.parse(line: 1, message: "undefined variable \"$nope\"")) { try AlertTemplate("{{ $nope }}") }
        // Loki's functions are LogQL's, not Prometheus's.
        #expect(throws: TemplateError.parse(line: 1, message: "function \"regexReplaceAll\" not defined")) { try AlertTemplate(#"{{ regexReplaceAll "a" "b" "c" }}"#) }
    }
}
