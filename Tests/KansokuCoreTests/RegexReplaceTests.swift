import Testing
@testable import KansokuCore

/// `RE2Regex.replaceAll` and `expand` against the examples of Go's `regexp` documentation
/// (`ReplaceAllString`, `ReplaceAllLiteralString`, `Expand`): the one implementation behind
/// LogQL's `regexReplaceAll`, the alert templates' `reReplaceAll` and both `label_replace`s.
@Suite struct RegexReplaceTests {
    @Test func goDocumentationExamples() throws {
        let re = try RE2Regex("a(x*)b")
        #expect(re.replaceAll(in: "-ab-axxb-", with: "T") == "-T-T-")
        #expect(re.replaceAll(in: "-ab-axxb-", with: "$1") == "--xx-")
        #expect(re.replaceAll(in: "-ab-axxb-", with: "$1W") == "---")
        #expect(re.replaceAll(in: "-ab-axxb-", with: "${1}W") == "-W-xxW-")
        #expect(re.replaceAll(in: "-ab-axxb-", with: "$1", literal: true) == "-$1-$1-")
        let named = try RE2Regex("a(?P<inner>x*)b")
        #expect(named.replaceAll(in: "-ab-axxb-", with: "[${inner}]$$") == "-[]$-[xx]$-")
    }

    @Test func emptyMatchesAndBracesAsGoHasThem() throws {
        #expect(try RE2Regex("x*").replaceAll(in: "abc", with: "-") == "-a-b-c-")
        #expect(try RE2Regex("a*").replaceAll(in: "baaac", with: "X") == "XbXcX")
        // A `}` in the replacement is text, not part of a reference.
        #expect(try RE2Regex("(a)").replaceAll(in: "xa", with: "{${1}}") == "x{a}")
        // `${` without a valid name and `}` is text too.
        #expect(try RE2Regex("(a)").replaceAll(in: "a", with: "${1 }") == "${1 }")
    }

    @Test func resultsPastTheLimitAreRefused() throws {
        let re = try RE2Regex("a")
        #expect(re.replaceAll(in: "aaaa", with: "bbbbbbbbbb", limit: 20) == nil)
        #expect(re.replaceAll(in: "aa", with: "bbbbbbbbbb", limit: 20) == String(repeating: "b", count: 20))
    }

    @Test func expandUsesCapturesOfTheWholeText() throws {
        let re = try RE2Regex("^(?:(?P<host>[^:]+):(\\d+))$")
        let text = Array("web-1:9100".utf8)
        let out: String? = text.withUnsafeBytes { buf in re.captures(in: buf).map { re.expand("$host on ${2}, $3.", captures: $0, in: buf) } }
        #expect(out == "web-1 on 9100, .")
    }
}
