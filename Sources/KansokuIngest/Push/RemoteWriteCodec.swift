public import KansokuCore

/// One series of a Prometheus remote-write request: its labels as sent and its float samples
/// (millisecond timestamps). Native histograms are counted, not kept: the metric store holds floats.
public struct RemoteWriteSeries: Sendable, Hashable {
    public var labels: [Label]
    public var samples: [RemoteWriteSample]
    /// Native histogram samples the sender attached (field 4), which are not stored.
    public var histogramCount: Int

    public init(labels: [Label], samples: [RemoteWriteSample], histogramCount: Int = 0) {
        self.labels = labels
        self.samples = samples
        self.histogramCount = histogramCount
    }
}

/// A float sample as `prompb.Sample` carries it.
public struct RemoteWriteSample: Sendable, Hashable {
    public var t: Int64
    public var v: Double

    public init(t: Int64, v: Double) {
        self.t = t
        self.v = v
    }

    public static func == (a: Self, b: Self) -> Bool { a.t == b.t && a.v.bitPattern == b.v.bitPattern }
    public func hash(into h: inout Hasher) {
        h.combine(t)
        h.combine(v.bitPattern)
    }
}

/// `prompb.MetricMetadata`: what Prometheus sends about a metric family beside the samples.
public struct RemoteWriteMetadata: Sendable, Hashable {
    /// `prompb.MetricMetadata.MetricType`, by its protobuf number.
    public enum MetricType: UInt64, Sendable {
        case unknown = 0, counter = 1, gauge = 2, histogram = 3, gaugeHistogram = 4, summary = 5, info = 6, stateSet = 7
    }

    public var type: MetricType
    public var family: String
    public var help: String
    public var unit: String

    public init(type: MetricType, family: String, help: String = "", unit: String = "") {
        self.type = type
        self.family = family
        self.help = help
        self.unit = unit
    }
}

/// A whole `prompb.WriteRequest`: its series and the metric metadata sent with them.
public struct RemoteWriteRequest: Sendable, Hashable {
    public var series: [RemoteWriteSeries]
    public var metadata: [RemoteWriteMetadata]

    public init(series: [RemoteWriteSeries], metadata: [RemoteWriteMetadata] = []) {
        self.series = series
        self.metadata = metadata
    }
}

/// Prometheus remote write 1.0 bodies: `prompb.WriteRequest` in protobuf, snappy block format.
///
/// ```
/// WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
/// TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
///                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
/// Label          { string name = 1; string value = 2; }
/// Sample         { double value = 1; int64 timestamp = 2; }
/// MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
/// ```
///
/// It shares the Loki push decoder's protobuf reader and snappy codec.
public enum RemoteWriteCodec {
    /// The protocol version header remote write 1.0 senders set.
    public static let versionHeader = "0.1.0"

    /// Decompresses and decodes a request body. Exemplars and metadata are skipped.
    public static func decode(snappyBody: UnsafeRawBufferPointer, maxDecompressedSize: Int) throws(PushDecodeError) -> [RemoteWriteSeries] {
        let raw: [UInt8]
        do throws(SnappyError) { raw = try Snappy.decompress(snappyBody, limit: maxDecompressedSize) } catch { throw .snappy(error) }
        do throws(ProtobufError) {
            return try raw.withBytes { (b) throws(ProtobufError) in try decodeWriteRequest(b) }
        } catch {
            throw .remoteWrite(error)
        }
    }

    /// Decodes an uncompressed `prompb.WriteRequest`.
    public static func decodeWriteRequest(_ bytes: UnsafeRawBufferPointer) throws(ProtobufError) -> [RemoteWriteSeries] {
        try decodeWriteRequest(bytes, metadata: false).series
    }

    /// Decompresses and decodes a request body with its metadata (exemplars are skipped).
    public static func decodeWithMetadata(snappyBody: UnsafeRawBufferPointer, maxDecompressedSize: Int)
        throws(PushDecodeError) -> RemoteWriteRequest {
        let raw: [UInt8]
        do throws(SnappyError) { raw = try Snappy.decompress(snappyBody, limit: maxDecompressedSize) } catch { throw .snappy(error) }
        do throws(ProtobufError) {
            return try raw.withBytes { (b) throws(ProtobufError) in try decodeWriteRequest(b, metadata: true) }
        } catch {
            throw .remoteWrite(error)
        }
    }

    private static func decodeWriteRequest(_ bytes: UnsafeRawBufferPointer, metadata: Bool)
        throws(ProtobufError) -> RemoteWriteRequest {
        var out: [RemoteWriteSeries] = []
        var meta: [RemoteWriteMetadata] = []
        var r = ProtoReader(bytes)
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            if field == 3 && metadata {
                try r.require(wire, is: .lengthDelimited, field: "WriteRequest.metadata")
                var m = try r.readLengthDelimited()
                meta.append(try decodeMetadata(&m))
                continue
            }
            guard field == 1 else { try r.skip(wire); continue }
            try r.require(wire, is: .lengthDelimited, field: "WriteRequest.timeseries")
            var s = try r.readLengthDelimited()
            out.append(try decodeSeries(&s))
        }
        return RemoteWriteRequest(series: out, metadata: meta)
    }

    private static func decodeMetadata(_ r: inout ProtoReader) throws(ProtobufError) -> RemoteWriteMetadata {
        var m = RemoteWriteMetadata(type: .unknown, family: "")
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try r.require(wire, is: .varint, field: "MetricMetadata.type")
                m.type = RemoteWriteMetadata.MetricType(rawValue: try r.readVarint()) ?? .unknown
            case 2, 4, 5:
                try r.require(wire, is: .lengthDelimited, field: "MetricMetadata string")
                let s = try r.readLengthDelimited()
                guard let text = String(validating: s.bytes, as: UTF8.self) else { throw s.error("metadata text is not valid UTF-8") }
                if field == 2 { m.family = text } else if field == 4 { m.help = text } else { m.unit = text }
            default:
                try r.skip(wire)
            }
        }
        return m
    }

    private static func decodeSeries(_ r: inout ProtoReader) throws(ProtobufError) -> RemoteWriteSeries {
        var series = RemoteWriteSeries(labels: [], samples: [])
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try r.require(wire, is: .lengthDelimited, field: "TimeSeries.labels")
                var l = try r.readLengthDelimited()
                var name = "", value = ""
                while !l.isAtEnd {
                    let (f, w) = try l.readTag()
                    guard f == 1 || f == 2 else { try l.skip(w); continue }
                    try l.require(w, is: .lengthDelimited, field: "Label.\(f == 1 ? "name" : "value")")
                    let s = try l.readLengthDelimited()
                    guard let text = String(validating: s.bytes, as: UTF8.self) else {
                        throw s.error("label \(f == 1 ? "name" : "value") is not valid UTF-8")
                    }
                    if f == 1 { name = text } else { value = text }
                }
                series.labels.append(Label(name: name, value: value))
            case 2:
                try r.require(wire, is: .lengthDelimited, field: "TimeSeries.samples")
                var s = try r.readLengthDelimited()
                var sample = RemoteWriteSample(t: 0, v: 0)
                while !s.isAtEnd {
                    let (f, w) = try s.readTag()
                    switch f {
                    case 1:
                        try s.require(w, is: .fixed64, field: "Sample.value")
                        sample.v = Double(bitPattern: try s.readFixed64())
                    case 2:
                        try s.require(w, is: .varint, field: "Sample.timestamp")
                        sample.t = Int64(bitPattern: try s.readVarint())
                    default:
                        try s.skip(w)
                    }
                }
                series.samples.append(sample)
            case 4:
                try r.skip(wire)
                series.histogramCount += 1
            default:
                try r.skip(wire)
            }
        }
        return series
    }

    /// Encodes a `prompb.WriteRequest` (uncompressed). Sizes are computed first so the message
    /// is written in one buffer, without a temporary per nested message.
    public static func encodeWriteRequest(_ series: some Collection<RemoteWriteSeries>,
                                          metadata: [RemoteWriteMetadata] = []) -> [UInt8] {
        var out: [UInt8] = []
        var total = 0
        for s in series { total += fieldSize(seriesSize(s)) }
        for m in metadata { total += fieldSize(metadataSize(m)) }
        out.reserveCapacity(total)
        for s in series {
            lengthPrefix(1, seriesSize(s), &out)
            for l in s.labels {
                lengthPrefix(1, labelSize(l), &out)
                string(1, l.name, &out)
                string(2, l.value, &out)
            }
            for x in s.samples {
                lengthPrefix(2, sampleSize(x), &out)
                if x.v.bitPattern != 0 {
                    out.append(1 << 3 | 1)
                    withUnsafeBytes(of: x.v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
                }
                if x.t != 0 {
                    out.append(2 << 3)
                    varint(UInt64(bitPattern: x.t), &out)
                }
            }
        }
        for m in metadata {
            lengthPrefix(3, metadataSize(m), &out)
            if m.type != .unknown {
                out.append(1 << 3)
                varint(m.type.rawValue, &out)
            }
            string(2, m.family, &out)
            string(4, m.help, &out)
            string(5, m.unit, &out)
        }
        return out
    }

    /// The request body as sent: the encoded `WriteRequest`, snappy-compressed.
    public static func encode(_ series: some Collection<RemoteWriteSeries>, metadata: [RemoteWriteMetadata] = []) -> [UInt8] {
        Snappy.compress(encodeWriteRequest(series, metadata: metadata))
    }

    // MARK: sizes

    private static func varintSize(_ v: UInt64) -> Int { v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7 }
    /// Tag (one byte for fields below 16), length and body.
    private static func fieldSize(_ n: Int) -> Int { 1 + varintSize(UInt64(n)) + n }
    private static func stringSize(_ s: String) -> Int { s.utf8.isEmpty ? 0 : fieldSize(s.utf8.count) }
    private static func labelSize(_ l: Label) -> Int { stringSize(l.name) + stringSize(l.value) }

    private static func sampleSize(_ x: RemoteWriteSample) -> Int {
        (x.v.bitPattern != 0 ? 9 : 0) + (x.t != 0 ? 1 + varintSize(UInt64(bitPattern: x.t)) : 0)
    }

    private static func seriesSize(_ s: RemoteWriteSeries) -> Int {
        var n = 0
        for l in s.labels { n += fieldSize(labelSize(l)) }
        for x in s.samples { n += fieldSize(sampleSize(x)) }
        return n
    }

    private static func metadataSize(_ m: RemoteWriteMetadata) -> Int {
        (m.type != .unknown ? 1 + varintSize(m.type.rawValue) : 0) + stringSize(m.family) + stringSize(m.help) + stringSize(m.unit)
    }

    // MARK: writing

    private static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func lengthPrefix(_ field: UInt8, _ n: Int, _ out: inout [UInt8]) {
        out.append(field << 3 | 2)
        varint(UInt64(n), &out)
    }

    private static func string(_ field: UInt8, _ s: String, _ out: inout [UInt8]) {
        guard !s.utf8.isEmpty else { return }
        lengthPrefix(field, s.utf8.count, &out)
        out.append(contentsOf: s.utf8)
    }
}
