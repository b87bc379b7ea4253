import Foundation
import Logging
import KansokuCore
import KansokuMetricStore
import KansokuPromQL
import FuzzSupport

/// Fuzzes the PromQL parser and evaluator: each input is a query, evaluated as an instant
/// query and as a short range query over a small fixed metric store.

/// A few series of each shape the functions care about: counters with a reset, gauges with
/// negatives, NaN and infinities, histogram buckets, an info metric, and a stale series.
let store: MetricStore = {
    let dir = FuzzSupport.scratchDirectory("promql")
    var logger = Logger(label: "kansoku.fuzz")
    logger.logLevel = .error
    let store = try! MetricStore.open(MetricStoreConfig(directory: dir), logger: logger)
    var batch: [(labels: Labels, t: Int64, v: Double)] = []
    for i in 0...40 {
        let t = Int64(i) * 15_000
        let d = Double(i)
        batch.append((Labels(["__name__": "http_requests_total", "job": "api", "code": "200"]), t, i < 25 ? d * 10 : d - 25))
        batch.append((Labels(["__name__": "http_requests_total", "job": "api", "code": "500"]), t, d))
        batch.append((Labels(["__name__": "temperature", "room": "a"]), t, sin(d) * 30 - 10))
        batch.append((Labels(["__name__": "temperature", "room": "b"]), t, [Double.nan, .infinity, -.infinity, 0, -0.0][i % 5]))
        for (le, f) in [("0.1", 0.2), ("1", 0.7), ("+Inf", 1.0)] {
            batch.append((Labels(["__name__": "latency_seconds_bucket", "job": "api", "le": le]), t, d * 10 * f))
        }
        batch.append((Labels(["__name__": "latency_seconds_count", "job": "api"]), t, d * 10))
        batch.append((Labels(["__name__": "latency_seconds_sum", "job": "api"]), t, d * 3.5))
        batch.append((Labels(["__name__": "target_info", "job": "api", "version": "1.2"]), t, 1))
        if i < 10 { batch.append((Labels(["__name__": "up", "job": "api", "instance": "h:1"]), t, 1)) }
    }
    batch.append((Labels(["__name__": "up", "job": "api", "instance": "h:1"]), 150_000, PromQLStaleNaN.value))
    FuzzSupport.block { [batch] in _ = try? await store.append(batch) }
    return store
}()

let engine: PromQLEngine = {
    var e = PromQLEngine(queryable: store)
    // Bounds that keep one input cheap; a query that wants more is refused, not a finding.
    e.maxSamples = 200_000
    e.maxPointsPerSeries = 1_000
    e.timeout = .seconds(5)
    return e
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let query = FuzzSupport.text(data, size)
    guard let expr = try? PromQLParser.parse(query) else { return 0 }
    // The printed form (what the API's format_query and rule files show) parses to itself.
    let printed = String(describing: expr)
    do {
        let again = String(describing: try PromQLParser.parse(printed))
        precondition(again == printed, "printed form changed: \(printed) became \(again)")
    } catch {
        fatalError("printed form does not parse: \(printed): \(error)")
    }
    let e = engine
    FuzzSupport.block {
        _ = try? await e.instantQuery(query, at: 600_000)
        _ = try? await e.rangeQuery(query, start: 0, end: 600_000, step: 60_000)
    }
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
