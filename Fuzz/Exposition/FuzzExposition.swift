import KansokuScrape
import FuzzSupport

/// Fuzzes the exposition parsers: each input is a scrape body, parsed as Prometheus text
/// 0.0.4 and as OpenMetrics (strict and lenient). What parses is written back out as text
/// 0.0.4, as federation does, and that text must parse to the same samples.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let body = FuzzSupport.bytes(data, size)
    for format in [ExpositionFormat.prometheusText, .openMetrics] {
        if let parsed = try? parseExposition(body, format: format) {
            let written = TextExpositionWriter.write(parsed)
            let again: ParsedExposition
            do {
                again = try parseExposition(written, format: .prometheusText)
            } catch {
                fatalError("written text does not parse: \(error)\n\(String(decoding: written, as: UTF8.self))")
            }
            precondition(again.samples.count == parsed.samples.count, "sample count changed")
            for (a, b) in zip(parsed.samples, again.samples) {
                precondition(a.labels == b.labels && a.timestamp == b.timestamp
                             && (a.value.bitPattern == b.value.bitPattern || (a.value.isNaN && b.value.isNaN)),
                             "sample changed: \(a) became \(b)")
            }
        }
    }
    var strict = OpenMetricsParser(body, strict: true)
    _ = try? strict.collect()
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
