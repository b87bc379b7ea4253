import Foundation
import KansokuCore
import Testing
@testable import KansokuRules

/// Unknown fields of a rule file are errors (as promtool makes them), naming the line, the
/// path to the field and the field that was meant.
@Suite struct RuleFileMistakeTests {
    @Test func misspeltRuleField() {
        let text = """
        groups:
          - name: api
            rules:
              - record: job:requests:rate5m
                expr: sum by (job) (rate(http_requests_total[5m]))
              - alert: HighErrorRate
                exper: job:errors:rate5m > 0.05
                for: 5m
        """
        do {
            _ = try RuleFileParser.parse(text, file: "rules/api.yaml")
            Issue.record("accepted a rule file with an unknown field")
        } catch {
            #expect(error.issues.first?.description
                    == "rules/api.yaml:7:9: unknown field \"exper\" in rule at groups[0].rules[1].exper, did you mean `expr`?")
        }
    }

    @Test func unknownGroupFieldWithNothingClose() {
        do {
            _ = try RuleFileParser.parse("groups:\n  - name: api\n    owner: sre\n    rules: []\n", file: "r.yaml")
            Issue.record("accepted a rule file with an unknown field")
        } catch {
            #expect(error.issues.map(\.description) == [
                "r.yaml:3:5: unknown field \"owner\" in group at groups[0].owner (expected one of: name, interval, query_offset, limit, labels, rules, kansoku_language, tenant)",
            ])
        }
    }
}
