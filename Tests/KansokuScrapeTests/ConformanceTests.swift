import Foundation
import KansokuTestSupport
import Testing
@testable import KansokuScrape

/// Runs the exposition vectors in ../shared/conformance/exposition in place.
@Suite struct ConformanceTests {
    /// OpenMetrics parser cases the strict parser gets wrong, by directory name, with the
    /// reason. The test fails when another case fails and when one of these passes.
    static let openMetricsExclusions: [String: String] = [:]

    @Test(.requires(SharedData.requirement("openmetrics-parsers")))
    func openMetricsParserSuite() throws {
        let dir = try #require(SharedData.exposition("openmetrics-parsers"))
        let cases = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        var goodPassed = 0, goodTotal = 0, badPassed = 0, badTotal = 0
        var ledger = ConformanceLedger("EXPOSITION openmetrics-parsers", exclusions: Self.openMetricsExclusions)
        for name in cases {
            let caseDir = dir.appendingPathComponent(name)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: caseDir.appendingPathComponent("test.json"))) as! [String: Any]
            let shouldParse = json["shouldParse"] as! Bool
            let body = try SharedData.bytes(caseDir.appendingPathComponent(json["file"] as? String ?? "metrics"))
            var parser = OpenMetricsParser(body, strict: true)
            var error: ExpositionError?
            do { _ = try parser.collect() } catch let e { error = e }
            let ok = (error == nil) == shouldParse
            if shouldParse { goodTotal += 1; if ok { goodPassed += 1 } } else { badTotal += 1; if ok { badPassed += 1 } }
            ledger.record(name, passed: ok, detail: shouldParse ? "must parse: \(error.map { "\($0)" } ?? "")" : "must reject, parsed")
        }
        print("CONFORMANCE openmetrics-parsers: must parse \(goodPassed)/\(goodTotal), must reject \(badPassed)/\(badTotal)")
        #expect(cases.count == 211)
        ledger.finish()
    }

    @Test(.requires(SharedData.requirement("prometheus-textparse")))
    func prometheusTextparseBodies() throws {
        let dir = try #require(SharedData.exposition("prometheus-textparse"))
        let files: [(String, ExpositionFormat, Int)] = [
            ("alltypes.237mfs.prom.txt", .prometheusText, 237),
            ("alltypes.237mfs.nometa.prom.txt", .prometheusText, 0),
            ("alltypes.5mfs.om.txt", .openMetrics, 5),
            ("1histogram.om.txt", .openMetrics, 1),
        ]
        var passed = 0
        for (file, format, families) in files {
            let body = try SharedData.bytes(dir.appendingPathComponent(file))
            do {
                let parsed = try parseExposition(body, format: format)
                let typed = parsed.metadata.values.filter { $0.type != .unknown || $0.help != nil }.count
                #expect(typed == families, "\(file): \(typed) families with metadata")
                #expect(!parsed.samples.isEmpty)
                // Round trip: write the samples back and parse them again.
                let text = TextExpositionWriter.write(parsed)
                let again = try parseExposition(text, format: .prometheusText)
                #expect(again.samples.map(\.labels) == parsed.samples.map(\.labels), "\(file): labels survive a round trip")
                #expect(zip(again.samples, parsed.samples).allSatisfy { sameValue($0.value, $1.value) && $0.timestamp == $1.timestamp })
                if typed == families { passed += 1 }
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
        print("EXPOSITION prometheus-textparse CONFORMANCE: \(passed)/\(files.count) passed, 0 excluded (listed)")
        #expect(passed == files.count)
    }

    @Test(.requires(SharedData.requirement("promtool")))
    func promtoolFixtures() throws {
        let dir = try #require(SharedData.exposition("promtool"))
        var passed = 0
        let lint = try SharedData.bytes(dir.appendingPathComponent("metrics-test.prom"))
        if let parsed = try? parseExposition(lint, format: .prometheusText), !parsed.samples.isEmpty { passed += 1 }
        for file in ["dump-openmetrics-roundtrip-test.prom", "dump-openmetrics-test.prom"] {
            let body = try SharedData.bytes(dir.appendingPathComponent(file))
            do {
                let parsed = try parseExposition(body, format: .openMetrics)
                #expect(parsed.samples.allSatisfy { $0.timestamp != nil }, "\(file): every sample has a timestamp")
                passed += 1
            } catch {
                Issue.record("\(file): \(error)")
            }
        }
        print("EXPOSITION promtool CONFORMANCE: \(passed)/3 passed, 0 excluded (listed)")
        #expect(passed == 3)
    }
}

func sameValue(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN && a.bitPattern == b.bitPattern) || (a.isNaN && b.isNaN) }
