import Foundation
import KansokuCore
import Testing

@testable import KansokuIngest

@Suite struct PipelineStageTests {
    let now: Int64 = 1_781_524_800_000_000_000
    let base = Labels(["app": "nginx", "filename": "/var/log/a.log"])

    func stages(_ json: String) throws -> [PipelineStageConfig] {
        try JSONDecoder().decode([PipelineStageConfig].self, from: Data(json.utf8))
    }

    func run(_ runner: inout PipelineRunner, _ line: String) -> PipelineRunner.Verdict {
        Array(line.utf8).withUnsafeBytes { runner.process($0, readTime: 7, now: now) }
    }

    @Test func accessLogRegexLabelsTimestamp() throws {
        let p = try Pipeline(stages(#"""
        [{"regex": "^(?P<ip>\\S+) \\S+ \\S+ \\[(?P<time>[^\\]]+)\\] \"(?P<method>\\S+) \\S+ \\S+\" (?P<status>\\d{3})"},
         {"labels": ["method", "status"]},
         {"timestamp": {"source": "time", "format": "02/Jan/2006:15:04:05 -0700"}}]
        """#))
        var r = PipelineRunner(p, baseLabels: base)
        let line = #"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/ HTTP/1.1" 200 203023 "-" "Mozilla""#
        #expect(run(&r, line) == .keep)
        #expect(r.labels == Labels(["app": "nginx", "filename": "/var/log/a.log", "method": "GET", "status": "200"]))
        #expect(r.timestamp == TimeParser.parseRFC3339("2015-05-17T10:05:03Z"))
        #expect(r.extracted("ip") == "83.149.9.216")
        // A line the regex does not match is kept with the base labels and the read time
        // (Promtail semantics: failed extraction never drops a line).
        #expect(run(&r, "garbage") == .keep)
        #expect(r.labels == base)
        #expect(r.timestamp == TimeParser.parseRFC3339("2015-05-17T10:05:03Z")! + 1)  // fudged: keeps order
        #expect(r.timestampFromLine)
    }

    @Test func timestampSkipKeepsReadTime() throws {
        let p = try Pipeline(stages(#"[{"regex": "^(?P<t>\\S+)"}, {"timestamp": {"source": "t", "format": "RFC3339", "action_on_failure": "skip"}}]"#))
        var r = PipelineRunner(p, baseLabels: base)
        #expect(run(&r, "2024-01-02T15:04:05Z hello") == .keep)
        #expect(r.timestamp == TimeParser.parseRFC3339("2024-01-02T15:04:05Z"))
        #expect(run(&r, "notatime hello") == .keep)
        #expect(r.timestamp == 7)
        #expect(!r.timestampFromLine)
    }

    @Test func jsonStage() throws {
        let p = try Pipeline(stages(#"""
        [{"json": {"expressions": {"level": "", "user": "ctx.user.name", "first": "tags[0]", "dotted": "\"a.b\"", "n": "ctx.n", "obj": "ctx.user"}}},
         {"labels": {"level": "", "who": "user"}}]
        """#))
        var r = PipelineRunner(p, baseLabels: base)
        #expect(run(&r, #"{"level":"warn","ctx":{"user":{"name":"J\u00fcrgen"},"n":12.5},"tags":["x","y"],"a.b":true}"#) == .keep)
        #expect(r.extracted("level") == "warn")
        #expect(r.extracted("user") == "Jürgen")
        #expect(r.extracted("first") == "x")
        #expect(r.extracted("dotted") == "true")
        #expect(r.extracted("n") == "12.5")
        #expect(r.extracted("obj") == #"{"name":"J\u00fcrgen"}"#)
        #expect(r.labels["who"] == "Jürgen")
        #expect(r.labels["level"] == "warn")
        // Not JSON: kept unchanged.
        #expect(run(&r, "plain text line") == .keep)
        #expect(r.labels == base)
        #expect(r.extracted("level") == nil)
    }

    @Test func jsonDropMalformed() throws {
        let p = try Pipeline(stages(#"[{"json": {"expressions": {"a": ""}, "drop_malformed": true}}]"#))
        var r = PipelineRunner(p, baseLabels: base)
        #expect(run(&r, #"{"a": 1"#) == .drop(reason: "malformed_json"))
        #expect(run(&r, #"{"a": 1}"#) == .keep)
        #expect(r.extracted("a") == "1")
    }

    @Test func logfmtStage() throws {
        let p = try Pipeline(stages(#"""
        [{"logfmt": {}}, {"labels": ["level"]}, {"output": "msg"}]
        """#))
        var r = PipelineRunner(p, baseLabels: base)
        #expect(run(&r, #"ts=2024-01-01 level=error msg="disk \"sda\" full" flag dur=5ms"#) == .keep)
        #expect(r.labels["level"] == "error")
        #expect(r.replacedLine.map { String(decoding: $0, as: UTF8.self) } == #"disk "sda" full"#)
        let mapped = try Pipeline(stages(#"[{"logfmt": {"mapping": {"lvl": "level", "dur": ""}}}]"#))
        var m = PipelineRunner(mapped, baseLabels: base)
        #expect(run(&m, "level=info dur=12ms") == .keep)
        #expect(m.extracted("lvl") == "info")
        #expect(m.extracted("dur") == "12ms")
    }

    @Test func dropStage() throws {
        let p = try Pipeline(stages(#"""
        [{"regex": "level=(?P<level>\\w+)"},
         {"drop": {"source": "level", "value": "debug", "drop_counter_reason": "debug_noise"}},
         {"drop": {"expression": "healthcheck"}},
         {"drop": {"longer_than": "20B"}}]
        """#))
        var r = PipelineRunner(p, baseLabels: base)
        #expect(run(&r, "level=debug x") == .drop(reason: "debug_noise"))
        #expect(run(&r, "GET /healthcheck") == .drop(reason: "drop_stage"))
        #expect(run(&r, "level=info a line that is long") == .drop(reason: "drop_stage"))
        #expect(run(&r, "level=info short") == .keep)
        // A missing source never drops.
        #expect(run(&r, "no level") == .keep)

        let old = try Pipeline(stages(#"""
        [{"regex": "^(?P<t>\\S+)"}, {"timestamp": {"source": "t", "format": "RFC3339"}}, {"drop": {"older_than": "24h"}}]
        """#))
        var o = PipelineRunner(old, baseLabels: base)
        #expect(run(&o, "2020-01-01T00:00:00Z ancient") == .drop(reason: "drop_stage"))
        #expect(run(&o, "2026-06-15T11:00:00Z recent") == .keep)
    }

    @Test func staticLabelsAndLabelDrop() throws {
        let p = try Pipeline(stages(#"[{"static_labels": {"team": "core"}}, {"labeldrop": ["filename"]}]"#))
        var r = PipelineRunner(p, baseLabels: base)
        #expect(run(&r, "x") == .keep)
        #expect(r.labels == Labels(["app": "nginx", "team": "core"]))
    }

    @Test func regexOnExtractedSource() throws {
        let p = try Pipeline(stages(#"""
        [{"json": {"expressions": {"msg": ""}}}, {"regex": {"expression": "user=(?P<user>\\w+)", "source": "msg"}}, {"labels": ["user"]}]
        """#))
        var r = PipelineRunner(p, baseLabels: base)
        #expect(run(&r, #"{"msg": "login user=alice ok"}"#) == .keep)
        #expect(r.labels["user"] == "alice")
    }

    @Test func configErrorsAreClear() throws {
        #expect(throws: PipelineConfigError.regexWithoutNamedGroups(stage: 0, pattern: "(a)")) { try Pipeline(stages(#"[{"regex": "(a)"}]"#)) }
        #expect(throws: PipelineConfigError.invalidLabelName(stage: 0, "bad-name")) { try Pipeline(stages(#"[{"labels": ["bad-name"]}]"#)) }
        #expect(throws: PipelineConfigError.emptyDrop(stage: 0)) { try Pipeline(stages(#"[{"drop": {}}]"#)) }
        #expect(throws: PipelineConfigError.invalidDuration(stage: 0, "soon")) { try Pipeline(stages(#"[{"drop": {"older_than": "soon"}}]"#)) }
        #expect(throws: PipelineConfigError.unknownLocation(stage: 0, "Mars/Base")) {
            try Pipeline(stages(#"[{"timestamp": {"source": "t", "format": "RFC3339", "location": "Mars/Base"}}]"#))
        }
        do {
            _ = try Pipeline(stages(#"[{"regex": "(?P<a>"}]"#))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("pipeline stage 1 (regex)"))
        }
        #expect(throws: DecodingError.self) { try stages(#"[{"nope": 1}]"#) }
        #expect(throws: DecodingError.self) { try stages(#"[{"regex": "a", "json": {}}]"#) }
    }

    @Test func targetConfigDecodes() throws {
        let json = #"""
        {"targets": [{"paths": ["/var/log/*.log"], "exclude": ["/var/log/x.log"], "labels": {"app": "a"},
          "pipeline": [{"regex": "(?P<x>.)"}, {"labels": {"x": null}}]}], "positions_file": "/tmp/p.yaml", "partial_line_timeout": "1s"}
        """#
        let c = try JSONDecoder().decode(LogsConfig.self, from: Data(json.utf8))
        #expect(c.targets?.first?.paths == ["/var/log/*.log"])
        #expect(c.positionsFile == "/tmp/p.yaml")
        #expect(try TailSettings(c).partialLineTimeout == 1_000_000_000)
        #expect(c.targets?.first?.pipeline?.count == 2)
        #expect(c.targets?.first?.pipeline?[1] == .labels(["x": ""]))
    }
}
