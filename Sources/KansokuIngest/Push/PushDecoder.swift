import KansokuCore
public import KansokuLogStore

/// Decodes Loki push bodies (`POST /loki/api/v1/push`) into store batches.
///
/// Two encodings, as Loki accepts them:
/// - `application/json`: `{"streams":[{"stream":{"k":"v"},"values":[["<ns>","line"],["<ns>","line",{"k":"v"}]]}]}`;
///   the timestamp is a decimal string of unix nanoseconds, the optional third element is
///   structured metadata.
/// - `application/x-protobuf` (and no Content-Type at all, as Loki does): a snappy *block*
///   wrapping `logproto.PushRequest{repeated StreamAdapter streams = 1}`, with
///   `StreamAdapter{string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3}`,
///   `EntryAdapter{google.protobuf.Timestamp timestamp = 1; string line = 2;
///   repeated LabelPairAdapter structuredMetadata = 3}` and `LabelPairAdapter{name = 1; value = 2}`.
///
/// `Content-Encoding` (gzip, deflate) is undone by the server before this point. Validation
/// is strict: anything malformed is a typed `PushDecodeError`, never a partial result.
public enum PushDecoder {
    /// Largest decompressed protobuf body accepted (the snappy header is checked before allocating).
    public static let defaultMaxDecompressedSize = 256 << 20

    public static func decode(body: UnsafeRawBufferPointer, contentType: String?, tenant: String,
                              maxDecompressedSize: Int = defaultMaxDecompressedSize) throws(PushDecodeError) -> [StreamBatch] {
        let mediaType = (contentType ?? "").split(separator: ";").first.map {
            $0.trimmingASCIISpaces().lowercased()
        } ?? ""
        switch mediaType {
        case "application/json":
            return try decodeJSON(body, tenant: tenant)
        case "", "application/x-protobuf":
            return try decodeProtobuf(snappyBody: body, tenant: tenant, maxDecompressedSize: maxDecompressedSize)
        default:
            throw .unsupportedContentType(contentType ?? "")
        }
    }

    public static func decode(body: [UInt8], contentType: String?, tenant: String) throws(PushDecodeError) -> [StreamBatch] {
        try body.withBytes { (b) throws(PushDecodeError) in try decode(body: b, contentType: contentType, tenant: tenant) }
    }

    // MARK: protobuf

    public static func decodeProtobuf(snappyBody: UnsafeRawBufferPointer, tenant: String,
                                      maxDecompressedSize: Int = defaultMaxDecompressedSize) throws(PushDecodeError) -> [StreamBatch] {
        let raw: [UInt8]
        do throws(SnappyError) {
            raw = try Snappy.decompress(snappyBody, limit: maxDecompressedSize)
        } catch {
            throw .snappy(error)
        }
        return try raw.withBytes { (b) throws(PushDecodeError) in try decodePushRequest(b, tenant: tenant) }
    }

    /// Decodes an uncompressed `logproto.PushRequest`.
    public static func decodePushRequest(_ bytes: UnsafeRawBufferPointer, tenant: String) throws(PushDecodeError) -> [StreamBatch] {
        var batches: [StreamBatch] = []
        var r = ProtoReader(bytes)
        do {
            while !r.isAtEnd {
                let (field, wire) = try r.readTag()
                guard field == 1 else { try r.skip(wire); continue }
                try r.require(wire, is: .lengthDelimited, field: "PushRequest.streams")
                var s = try r.readLengthDelimited()
                batches.append(try decodeStream(&s, index: batches.count, tenant: tenant))
            }
        } catch let e as ProtobufError {
            throw .protobuf(e)
        } catch let e as PushDecodeError {
            throw e
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        return batches
    }

    private static func decodeStream(_ r: inout ProtoReader, index: Int, tenant: String) throws -> StreamBatch {
        var labelText: UnsafeRawBufferPointer?
        var entries: [LogEntry] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try r.require(wire, is: .lengthDelimited, field: "StreamAdapter.labels")
                labelText = try r.readLengthDelimited().bytes
            case 2:
                try r.require(wire, is: .lengthDelimited, field: "StreamAdapter.entries")
                var e = try r.readLengthDelimited()
                entries.append(try decodeEntry(&e))
            default:
                try r.skip(wire)
            }
        }
        guard let labelText else { throw PushDecodeError.noLabels(stream: index) }
        let labels: Labels
        do {
            labels = try LabelSetText.parse(labelText, text: String(decoding: labelText, as: UTF8.self))
        } catch {
            throw PushDecodeError.invalidLabels(stream: index, error)
        }
        guard !labels.isEmpty else { throw PushDecodeError.noLabels(stream: index) }
        return StreamBatch(tenant: tenant, labels: labels, entries: entries)
    }

    private static func decodeEntry(_ r: inout ProtoReader) throws(ProtobufError) -> LogEntry {
        var seconds: Int64 = 0
        var nanos: Int64 = 0
        var line: [UInt8] = []
        var metadata: [Label] = []
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try r.require(wire, is: .lengthDelimited, field: "EntryAdapter.timestamp")
                var t = try r.readLengthDelimited()
                while !t.isAtEnd {
                    let (tf, tw) = try t.readTag()
                    switch tf {
                    case 1:
                        try t.require(tw, is: .varint, field: "Timestamp.seconds")
                        seconds = Int64(bitPattern: try t.readVarint())
                    case 2:
                        try t.require(tw, is: .varint, field: "Timestamp.nanos")
                        let start = t.offset
                        let v = Int64(Int32(truncatingIfNeeded: try t.readVarint()))
                        guard (0..<1_000_000_000).contains(v) else {
                            t.offset = start
                            throw t.error("Timestamp.nanos \(v) is outside 0...999999999")
                        }
                        nanos = v
                    default:
                        try t.skip(tw)
                    }
                }
            case 2:
                try r.require(wire, is: .lengthDelimited, field: "EntryAdapter.line")
                line = Array(try r.readLengthDelimited().bytes)
            case 3:
                try r.require(wire, is: .lengthDelimited, field: "EntryAdapter.structuredMetadata")
                var p = try r.readLengthDelimited()
                var name = "", value = ""
                while !p.isAtEnd {
                    let (pf, pw) = try p.readTag()
                    switch pf {
                    case 1:
                        try p.require(pw, is: .lengthDelimited, field: "LabelPairAdapter.name")
                        name = String(decoding: try p.readLengthDelimited().bytes, as: UTF8.self)
                    case 2:
                        try p.require(pw, is: .lengthDelimited, field: "LabelPairAdapter.value")
                        value = String(decoding: try p.readLengthDelimited().bytes, as: UTF8.self)
                    default:
                        try p.skip(pw)
                    }
                }
                metadata.append(Label(name: name, value: value))
            default:
                try r.skip(wire)
            }
        }
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, ns.addingReportingOverflow(nanos).overflow == false else {
            throw r.error("timestamp \(seconds)s is out of range")
        }
        return LogEntry(timestamp: ns + nanos, line: line, metadata: Labels(metadata))
    }

    // MARK: JSON

    public static func decodeJSON(_ bytes: UnsafeRawBufferPointer, tenant: String) throws(PushDecodeError) -> [StreamBatch] {
        var s = JSONScanner(bytes)
        var batches: [StreamBatch] = []
        var sawStreams = false
        do {
            guard try s.peekKind() == .object else { throw ShapeError(path: "body", expected: "an object") }
            try s.forEachMember { s, key, _ in
                guard key.elementsEqual("streams".utf8) else { try s.skipValue(); return }
                sawStreams = true
                guard try s.peekKind() == .array else { throw ShapeError(path: "streams", expected: "an array") }
                try s.forEachElement { s, i in
                    batches.append(try decodeJSONStream(&s, index: i, tenant: tenant))
                }
            }
            try s.expectEnd()
        } catch let e as JSONSyntaxError {
            throw .json(e)
        } catch let e as ShapeError {
            throw .shape(path: e.path, expected: e.expected)
        } catch let e as PushDecodeError {
            throw e
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        guard sawStreams else { throw .shape(path: "body", expected: "a \"streams\" member") }
        return batches
    }

    /// A JSON body that is well-formed but not shaped like a push request.
    private struct ShapeError: Error {
        var path: String
        var expected: String
    }

    private static func decodeJSONStream(_ s: inout JSONScanner, index: Int, tenant: String) throws -> StreamBatch {
        var labels: [Label] = []
        var sawStream = false
        var entries: [LogEntry] = []
        var scratch: [UInt8] = []
        guard try s.peekKind() == .object else { throw ShapeError(path: "streams[\(index)]", expected: "an object") }
        try s.forEachMember { s, key, _ in
            if key.elementsEqual("stream".utf8) {
                sawStream = true
                guard try s.peekKind() == .object else {
                    throw ShapeError(path: "streams[\(index)].stream", expected: "an object of label names to string values")
                }
                labels = try readStringMap(&s, path: "streams[\(index)].stream")
            } else if key.elementsEqual("values".utf8) {
                guard try s.peekKind() == .array else { throw ShapeError(path: "streams[\(index)].values", expected: "an array") }
                try s.forEachElement { s, j in
                    entries.append(try decodeJSONValue(&s, stream: index, entry: j, scratch: &scratch))
                }
            } else {
                try s.skipValue()
            }
        }
        guard sawStream, !labels.isEmpty else { throw PushDecodeError.noLabels(stream: index) }
        for l in labels where !LabelSetText.isValidName(l.name) {
            throw PushDecodeError.invalidLabelName(stream: index, name: l.name)
        }
        return StreamBatch(tenant: tenant, labels: Labels(labels), entries: entries)
    }

    private static func decodeJSONValue(_ s: inout JSONScanner, stream: Int, entry: Int,
                                        scratch: inout [UInt8]) throws -> LogEntry {
        let path = "streams[\(stream)].values[\(entry)]"
        guard try s.peekKind() == .array else { throw ShapeError(path: path, expected: "an array [\"<unix ns>\", \"<line>\"]") }
        var timestamp: Int64 = 0
        var line: [UInt8] = []
        var metadata: [Label] = []
        var count = 0
        try s.forEachElement { s, k in
            count = k + 1
            switch k {
            case 0:
                guard try s.peekKind() == .string else {
                    throw ShapeError(path: path + "[0]", expected: "the timestamp as a string of unix nanoseconds")
                }
                scratch.removeAll(keepingCapacity: true)
                try s.readString(into: &scratch)
                guard let ts = parseDecimalNanos(scratch) else {
                    throw PushDecodeError.invalidTimestamp(stream: stream, entry: entry, text: String(decoding: scratch, as: UTF8.self))
                }
                timestamp = ts
            case 1:
                guard try s.peekKind() == .string else { throw ShapeError(path: path + "[1]", expected: "the log line as a string") }
                try s.readString(into: &line)
            case 2:
                guard try s.peekKind() == .object else {
                    throw ShapeError(path: path + "[2]", expected: "structured metadata as an object of strings")
                }
                metadata = try readStringMap(&s, path: path + "[2]")
            default:
                throw ShapeError(path: path, expected: "at most 3 elements")
            }
        }
        guard count >= 2 else { throw ShapeError(path: path, expected: "[\"<unix ns>\", \"<line>\"] (2 or 3 elements)") }
        return LogEntry(timestamp: timestamp, line: line, metadata: Labels(metadata))
    }

    private static func readStringMap(_ s: inout JSONScanner, path: String) throws -> [Label] {
        var out: [Label] = []
        try s.forEachMember { s, rawKey, escaped in
            var keyBytes: [UInt8] = []
            if escaped {
                try JSONScanner.unescape(rawKey, into: &keyBytes, baseOffset: 0)
            } else {
                keyBytes.append(contentsOf: rawKey)
            }
            let key = String(decoding: keyBytes, as: UTF8.self)
            guard try s.peekKind() == .string else { throw ShapeError(path: "\(path).\(key)", expected: "a string value") }
            out.append(Label(name: key, value: try s.readString()))
        }
        return out
    }

    /// Decimal unix nanoseconds, optionally negative; nothing else.
    static func parseDecimalNanos(_ b: [UInt8]) -> Int64? {
        guard !b.isEmpty else { return nil }
        var i = 0
        let negative = b[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < b.count, b.count - i <= 19 else { return nil }
        var v: Int64 = 0
        while i < b.count {
            let c = b[i]
            guard c >= 48, c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(c - 48))
            guard !o1, !o2 else { return nil }
            v = a
            i += 1
        }
        return negative ? -v : v
    }
}
