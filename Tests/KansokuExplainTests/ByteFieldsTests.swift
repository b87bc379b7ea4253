import KansokuCore
@testable import KansokuExplain
import KansokuLogQL
import Testing

/// The fields read on bytes against LogQL's own parser stages over the same lines: the names and
/// values must be the ones a query's `| logfmt` or `| pattern … | logfmt` gives.
@Suite struct ByteFieldsTests {
    static func viaLogQL(_ query: String, _ line: String) -> [String: String] {
        let pipeline = try! LogQLEngine.pipeline(for: query).pipeline
        let out = pipeline.process(labels: Labels(), line: Array(line.utf8))
        var fields: [String: String] = [:]
        for l in out.labels where !l.value.isEmpty && l.value != "-" && !l.name.hasPrefix("__") && l.name != "extensions" { fields[l.name] = l.value }
        return fields
    }

    static func fields(_ line: String) -> [String: String] {
        Dictionary(LineFields().fields(of: line).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    static let logfmtLines = [
        #"level=error msg="fetch failed" upstream=origin-3 rt=2.412"#,
        #"Jan  1 00:00:00 LabSZ sshd[60868]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=183.89.212.107  user=root"#,
        #"http.status=503 1st=a a-b=c key=first key=second"#,
        #"msg="say \"hi\" now" path=C:\temp level=warn"#,
        #"broken "quote=x a=b ="#,
        #"unterminated a=1 msg="no end"#,
        "no equals sign in this line at all",
        #"20240101-0:0:0:6|Step_SPUtils|40408180|setTodayTotalDetailSteps=5939296256262##7164"#,
    ]

    @Test(arguments: logfmtLines)
    func logfmtAsLogQLReadsIt(_ line: String) {
        #expect(Self.fields(line) == Self.viaLogQL(#"{_="_"} | logfmt"#, line), "\(line)")
    }

    static let jsonLines = [
        #"{"level":"error","origin":"origin-3","ctx":{"traceID":"abc","n":2,"ok":true},"tags":["a"],"none":null}"#,
        #"{"msg":"say \"hi\" \u00e9","1st":"x","a-b":{"c.d":"e"},"dup":"one","dup":"two","empty":"","dash":"-"}"#,
        #"{"good":"kept","bad":"never closed"#,
        #"  {"spaced" : 1.5e3 , "nested": {"deeper": {"deepest": "z"}}} trailing"#,
    ]

    @Test(arguments: jsonLines)
    func jsonAsLogQLReadsIt(_ line: String) {
        #expect(Self.fields(line) == Self.viaLogQL(#"{_="_"} | json"#, line), "\(line)")
    }

    static let accessLines = [
        #"10.1.2.3 - - [05/Dec/2026:22:00:00 +0000] "GET /live/seg-12.ts HTTP/1.1" 503 157 "-" "ExoPlayerLib/2.19.1" rt=2.412 upstream=origin-3 request_id=5f0c2a9e1b7d4c83"#,
        #"174.82.86.190 - - [01/Jan/2024:00:00:00 +0000] "GET /reset.css HTTP/1.1" 200 1598 "http://www.semicomplete.com/" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)" rt=0.1 status=504"#,
        #"10.0.0.1 - bob [05/Dec/2026:22:00:00 +0000] "POST /api HTTP/2.0" 201 12 "https://x/" "curl/8" a=1 a=2"#,
    ]

    @Test(arguments: accessLines)
    func accessLogAsLogQLPatternReadsIt(_ line: String) {
        let query = #"{_="_"} | pattern "<remote_addr> <_> <remote_user> [<_>] \"<method> <path> <_>\" <status> <body_bytes> \"<_>\" \"<user_agent>\" <extensions>" | line_format "{{.extensions}}" | logfmt"#
        #expect(LineFields.layout(of: Array(line.utf8)) == .access)
        #expect(Self.fields(line) == Self.viaLogQL(query, line), "\(line)")
    }

    /// A stream's layout is found from its first line; a line of another layout in the same
    /// stream is still read as its own.
    @Test func lineOfAnotherLayoutInAStream() {
        let labels = Labels(["app": "edge"])
        let first = ExplainLine(timestamp: 1, labels: labels, line: Self.accessLines[0])
        let window = [first] + (0..<9).map { i in ExplainLine(timestamp: 2 + Int64(i), labels: labels, line: "upstream timed out origin=origin-3 attempt=\(i % 2)") }
        let baseline = (0..<10).map { i in ExplainLine(timestamp: -Int64(i), labels: labels, line: "upstream timed out origin=origin-\(i % 3) attempt=1") }
        let r = ExplainAnalysis(window: window, baseline: baseline, start: 0, end: 100).run()
        #expect(r.changes.first?.name == "origin" && r.changes.first?.value == "origin-3", "\(r.changes.prefix(3))")
        #expect(r.changes.first?.windowCount == 9)
    }

    /// A pattern's text, given back as a filter, matches the lines the pattern was learned from.
    @Test func patternTextMatchesItsLines() {
        var drain = LogPatterns()
        let lines = ["fetch failed upstream=edge rt=2.41 try 1", "fetch failed upstream=edge rt=0.52 try 2"]
        for (i, l) in lines.enumerated() { drain.add(l, timestamp: Int64(i), index: i) }
        #expect(drain.count == 1)
        let text = drain.text(of: 0)
        #expect(text == "fetch failed upstream=edge rt=<*> try <*>")
        let filter = ExplainFilter(name: ExplainDimension.patternName, value: text)
        for l in lines { #expect(filter.matches(line: l, labels: Labels(), fields: LineFields())) }
        #expect(!filter.matches(line: "fetch failed upstream=core rt=2.41 try 1", labels: Labels(), fields: LineFields()))
    }
}
