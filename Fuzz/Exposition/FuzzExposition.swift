import KansokuScrape
import FuzzSupport

/// Fuzzes the exposition parsers: each input is a scrape body, parsed as Prometheus text
/// 0.0.4 and as OpenMetrics (strict and lenient); what parses is written back out, as the
/// federation endpoint does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let body = FuzzSupport.bytes(data, size)
    for format in [ExpositionFormat.prometheusText, .openMetrics] {
        if let parsed = try? parseExposition(body, format: format) {
            _ = TextExpositionWriter.write(parsed)
        }
    }
    var strict = OpenMetricsParser(body, strict: true)
    _ = try? strict.collect()
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
