import Foundation
import Logging
import KansokuCore
import KansokuLogStore
import KansokuLogQL
import FuzzSupport

/// Fuzzes the LogQL parser and evaluator: each input is a query, run as a range query (log
/// or metric) and, for metric queries, as an instant query, over a small fixed log store.

let second: Int64 = 1_000_000_000

/// Three streams whose lines suit each parser stage (logfmt, JSON, free text for pattern
/// and regexp), with structured metadata on some entries, over ten minutes.
let engine: LogQLEngine = {
    let dir = FuzzSupport.scratchDirectory("logql")
    var logger = Logger(label: "kansoku.fuzz")
    logger.logLevel = .error
    let store = try! LogStore.open(LogStoreConfig(directory: dir, fsync: .never), logger: logger)
    var web: [LogEntry] = [], api: [LogEntry] = [], worker: [LogEntry] = []
    for i in 0..<60 {
        let t = Int64(i) * 10 * second
        let level = ["info", "warn", "error", "debug"][i % 4]
        web.append(LogEntry(timestamp: t, line: "level=\(level) method=GET path=/api/\(i % 7) status=\(200 + (i % 3) * 150) duration=\(i * 3)ms bytes=\(i * 100)"))
        api.append(LogEntry(timestamp: t + 1, line: "{\"level\":\"\(level)\",\"n\":\(i),\"msg\":\"req \(i)\",\"user\":{\"id\":\(i % 5),\"name\":\"u\\\"\(i)\"},\"tags\":[\"a\",\"b\"],\"ip\":\"10.0.0.\(i)\"}",
                            metadata: i % 2 == 0 ? Labels(["trace_id": "t\(i)"]) : Labels()))
        worker.append(LogEntry(timestamp: t + 2, line: "\(level.uppercased()) 2024-01-01T00:00:\(i % 60)Z worker[\(i)] took \(Double(i) / 7)s \u{1b}[31mred\u{1b}[0m ünïcødé"))
    }
    let batches = [
        StreamBatch(labels: Labels(["app": "web", "env": "prod", "instance": "w1"]), entries: web),
        StreamBatch(labels: Labels(["app": "api", "env": "prod"]), entries: api),
        StreamBatch(labels: Labels(["app": "worker", "env": "dev", "level": "info"]), entries: worker),
    ]
    FuzzSupport.block { _ = try? await store.append(batches) }
    return LogQLEngine(store: store)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let query = FuzzSupport.text(data, size)
    guard let expr = try? LogQLParser.parse(query) else { return 0 }
    // The canonical form (the API's format_query) parses to itself; the pretty printer runs.
    // Folded literals print as NaN or ±Inf, which no LogQL literal spells (as in Loki).
    let printed = String(describing: expr)
    if !printed.contains("NaN") && !printed.contains("Inf") {
        do {
            let again = String(describing: try LogQLParser.parse(printed))
            precondition(again == printed, "printed form changed: \(printed) became \(again)")
        } catch {
            fatalError("printed form does not parse: \(printed): \(error)")
        }
    }
    _ = LogQLPrettier(maxCharsPerLine: 20).format(expr)
    let e = engine
    FuzzSupport.block {
        _ = try? await e.queryRange(query, tenant: LogStore.defaultTenant, start: 0, end: 600 * second, step: 60 * second,
                                    direction: .forward, limit: 50)
        if case .sample = expr {
            _ = try? await e.queryInstant(query, tenant: LogStore.defaultTenant, time: 300 * second)
        }
    }
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
