import KansokuCore
import KansokuIngest
import FuzzSupport

/// Fuzzes push decoding: each input is a request body, decoded as Loki JSON, as a snappy
/// protobuf body, as a bare protobuf `PushRequest`, through snappy, gzip and deflate on
/// their own, as OTLP logs and metrics (protobuf and JSON, then mapped as the server maps them),
/// as a remote write `WriteRequest` (snappy-framed and bare), and as a label-set string. A body
/// that decodes is encoded again and decoded once more; remote write must give back the same
/// series.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let body = UnsafeRawBufferPointer(start: data, count: size)
    let limit = 1 << 20
    _ = try? PushDecoder.decode(body: body, contentType: "application/json", tenant: "fuzz")
    _ = try? PushDecoder.decode(body: body, contentType: nil, tenant: "fuzz", maxDecompressedSize: limit)
    if let batches = try? PushDecoder.decodePushRequest(body, tenant: "fuzz") {
        _ = try? PushDecoder.decode(body: PushEncoder.protobufSnappy(batches), contentType: "application/x-protobuf", tenant: "fuzz")
        _ = try? PushDecoder.decode(body: PushEncoder.json(batches), contentType: "application/json", tenant: "fuzz")
    }
    let bytes = FuzzSupport.bytes(data, size)
    if let raw = try? Snappy.decompress(body, limit: limit) {
        _ = Snappy.compress(raw)
    }
    _ = try? Inflate.decompress(bytes, format: .gzip, limit: limit)
    _ = try? Inflate.decompress(bytes, format: .deflate, limit: limit)
    _ = try? LabelSetText.parse(FuzzSupport.text(data, size))
    for logs in [try? OTLPProtobuf.decodeLogs(body), try? OTLPJSON.decodeLogs(body)] {
        if let logs { _ = OTLPLogMapping.batches(logs, tenant: "fuzz", now: 0) }
    }
    for metrics in [try? OTLPProtobuf.decodeMetrics(body), try? OTLPJSON.decodeMetrics(body)] {
        if let metrics { _ = OTLPMetricTranslation(metrics) }
    }
    for decoded in [try? RemoteWriteCodec.decode(snappyBody: body, maxDecompressedSize: limit), try? RemoteWriteCodec.decodeWriteRequest(body)] {
        // Native histograms are counted, not kept, so they cannot come back.
        guard let series = decoded?.map({ RemoteWriteSeries(labels: $0.labels, samples: $0.samples) }) else { continue }
        let again = RemoteWriteCodec.encode(series).withUnsafeBytes { try? RemoteWriteCodec.decode(snappyBody: $0, maxDecompressedSize: Int.max) }
        precondition(again == series, "remote write did not decode back to what was encoded")
    }
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
