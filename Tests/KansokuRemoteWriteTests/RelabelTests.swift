import Foundation
import KansokuCore
import Testing
@testable import KansokuRemoteWrite

/// `write_relabel_configs` with Prometheus's semantics; expected results as Prometheus's
/// relabel package documents and tests them.
@Suite struct RelabelTests {
    func configs(_ json: String) throws -> [RelabelConfig] {
        try JSONDecoder().decode([RelabelConfig].self, from: Data(json.utf8))
    }

    let series = Labels(["__name__": "http_requests_total", "job": "api", "instance": "10.0.0.1:9090", "code": "500"])

    @Test func keepAndDropMatchTheWholeJoinedValue() throws {
        #expect(RelabelConfig.process(series, try configs(#"[{"source_labels":["__name__"],"regex":"http_.*","action":"keep"}]"#)) == series)
        #expect(RelabelConfig.process(series, try configs(#"[{"source_labels":["__name__"],"regex":"http","action":"keep"}]"#)) == nil)
        #expect(RelabelConfig.process(series, try configs(#"[{"source_labels":["job","code"],"regex":"api;5..","action":"drop"}]"#)) == nil)
    }

    @Test func replaceExpandsGroupsAndRemovesEmptyResults() throws {
        let out = RelabelConfig.process(series, try configs(#"""
            [{"source_labels":["instance"],"regex":"(.*):(\\d+)","target_label":"host","replacement":"${1}-$2"},
             {"source_labels":["nope"],"regex":"(.*)","target_label":"code","replacement":"$1"}]
            """#))
        #expect(out?["host"] == "10.0.0.1-9090")
        #expect(out?["code"] == nil)
    }

    @Test func labelActions() throws {
        let out = RelabelConfig.process(series, try configs(#"""
            [{"regex":"(code|job)","replacement":"orig_$1","action":"labelmap"},
             {"regex":"instance","action":"labeldrop"},
             {"source_labels":["job"],"target_label":"JOB","action":"uppercase"}]
            """#))
        #expect(out == Labels(["__name__": "http_requests_total", "job": "api", "code": "500", "orig_code": "500",
                               "orig_job": "api", "JOB": "API"]))
    }

    @Test func refusesUnknownActionsAndBadRegexes() {
        #expect(throws: DecodingError.self) { try configs(#"[{"action":"hashmod","target_label":"x"}]"#) }
        #expect(throws: DecodingError.self) { try configs(#"[{"regex":"(","action":"drop"}]"#) }
        #expect(throws: DecodingError.self) { try configs(#"[{"action":"replace"}]"#) }
    }

    @Test func retryAfterAcceptsSecondsAndDates() {
        #expect(RemoteWriteClient.retryAfter("7") == .seconds(7))
        #expect(RemoteWriteClient.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == .zero)
        #expect(RemoteWriteClient.retryAfter("soon") == nil)
    }
}
