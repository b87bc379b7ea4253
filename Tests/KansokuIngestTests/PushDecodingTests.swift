import KansokuCore
import KansokuLogStore
import Testing

@testable import KansokuIngest

@Suite struct SnappyTests {
    @Test func decodesHandWrittenBlockWithOverlappingCopy() throws {
        // length 12, literal "abcd", copy (1-byte offset) length 8 distance 4
        let block: [UInt8] = [0x0C, 0x0C, 0x61, 0x62, 0x63, 0x64, 0x11, 0x04]
        #expect(try Snappy.decompress(block) == Array("abcdabcdabcd".utf8))
    }

    @Test func roundTripsRepetitiveAndRandomData() throws {
        var rng = SystemRandomNumberGenerator()
        let random = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let text = Array(String(repeating: "GET /api/v1/users?id=42 HTTP/1.1 200 512\n", count: 5000).utf8)
        for input in [[], [7], random, text, text + random + text] {
            let c = Snappy.compress(input)
            #expect(try Snappy.decompress(c) == input)
        }
        #expect(Snappy.compress(text).count < text.count / 10)
    }

    @Test func rejectsMalformedBlocks() {
        #expect(throws: SnappyError.badCopyOffset(offset: 1, distance: 4)) { try Snappy.decompress([0x08, 0x11, 0x04]) }
        #expect(throws: SnappyError.truncated(offset: 2)) { try Snappy.decompress([0x05, 0x10, 0x61]) }
        #expect(throws: SnappyError.lengthMismatch(expected: 5, got: 1)) { try Snappy.decompress([0x05, 0x00, 0x61]) }
        #expect(throws: SnappyError.tooLarge(length: 1 << 30, limit: 1 << 20)) {
            try Snappy.decompress([0x80, 0x80, 0x80, 0x80, 0x04], limit: 1 << 20)
        }
        #expect(throws: SnappyError.badLengthHeader) { try Snappy.decompress([0xFF, 0xFF]) }
    }
}

@Suite struct PushDecodingTests {
    /// `PushRequest{streams: [{labels: "{a=\"b\"}", entries: [{timestamp: {1s, 2ns}, line: "hi"}]}]}`,
    /// encoded by hand from the .proto field numbers, then wrapped in one snappy literal.
    static let handEncoded: [UInt8] = [
        0x17, 0x58,  // snappy: length 23, literal of 23 bytes
        0x0A, 0x15,  // streams (field 1), 21 bytes
        0x0A, 0x07, 0x7B, 0x61, 0x3D, 0x22, 0x62, 0x22, 0x7D,  // labels: {a="b"}
        0x12, 0x0A,  // entries (field 2), 10 bytes
        0x0A, 0x04, 0x08, 0x01, 0x10, 0x02,  // timestamp {seconds 1, nanos 2}
        0x12, 0x02, 0x68, 0x69,  // line "hi"
    ]

    @Test func decodesHandCheckedProtobufVector() throws {
        let batches = try PushDecoder.decode(body: Self.handEncoded, contentType: "application/x-protobuf", tenant: "fake")
        #expect(batches.count == 1)
        #expect(batches[0].tenant == "fake")
        #expect(batches[0].labels == Labels(["a": "b"]))
        #expect(batches[0].entries == [LogEntry(timestamp: 1_000_000_002, line: Array("hi".utf8), metadata: Labels())])
        // Our encoder produces the same message bytes (the hash field aside).
        let ours = PushEncoder.protobuf([StreamBatch(tenant: "fake", labels: Labels(["a": "b"]), entries: batches[0].entries)])
        #expect(ours[0] == 0x0A && Int(ours[1]) == ours.count - 2)
        #expect(Array(ours[2..<23]) == Array(Self.handEncoded[4...]))
        #expect(ours[23] == 0x18)  // then the hash, field 3 as a varint
    }

    static let sample: [StreamBatch] = [
        StreamBatch(tenant: "t1", labels: Labels(["app": "api", "env": "prod"]), entries: [
            LogEntry(timestamp: 1_700_000_000_123_456_789, line: Array("GET /x 200 \"quoted\" \\ tab\t".utf8), metadata: Labels()),
            LogEntry(timestamp: 1_700_000_000_123_456_790, line: Array("with metadata ünïcode".utf8),
                     metadata: Labels(["trace_id": "abc123", "user": "ü"])),
            LogEntry(timestamp: -5, line: [], metadata: Labels()),
        ]),
        StreamBatch(tenant: "t1", labels: Labels(["app": "we\"ird\\val\nue"]), entries: [
            LogEntry(timestamp: 42, line: Array("x".utf8), metadata: Labels()),
        ]),
    ]

    @Test func protobufSnappyRoundTrip() throws {
        let body = PushEncoder.protobufSnappy(Self.sample)
        let got = try PushDecoder.decode(body: body, contentType: "application/x-protobuf", tenant: "t1")
        #expect(got.map(\.labels) == Self.sample.map(\.labels))
        #expect(got.map(\.entries) == Self.sample.map(\.entries))
        // No Content-Type means protobuf, as in Loki.
        #expect(try PushDecoder.decode(body: body, contentType: nil, tenant: "t1").count == 2)
    }

    @Test func protobufKeepsInvalidUTF8LinesAsBytes() throws {
        let line: [UInt8] = [0x66, 0xFF, 0xFE, 0x6F]
        let body = PushEncoder.protobufSnappy([StreamBatch(tenant: "x", labels: Labels(["a": "1"]),
                                                           entries: [LogEntry(timestamp: 1, line: line, metadata: Labels())])])
        #expect(try PushDecoder.decode(body: body, contentType: "application/x-protobuf", tenant: "x")[0].entries[0].line == line)
    }

    @Test func jsonRoundTrip() throws {
        let body = PushEncoder.json(Self.sample)
        let got = try PushDecoder.decode(body: body, contentType: "application/json; charset=utf-8", tenant: "t1")
        #expect(got.map(\.labels) == Self.sample.map(\.labels))
        #expect(got.map(\.entries) == Self.sample.map(\.entries))
    }

    @Test func jsonAsLokiDocumentsIt() throws {
        let body = #"""
        {"streams": [{"stream": {"job": "x"}, "values": [["1700000000000000000", "a \u00e9 \ud83d\ude00 \/"],
          ["1700000000000000001", "b", {"trace_id": "t"}]]}], "extra": [1, {"k": null}]}
        """#
        let got = try PushDecoder.decode(body: Array(body.utf8), contentType: "application/json", tenant: "fake")
        #expect(got[0].entries.map { String(decoding: $0.line, as: UTF8.self) } == ["a é 😀 /", "b"])
        #expect(got[0].entries[1].metadata == Labels(["trace_id": "t"]))
    }

    func jsonError(_ body: String) -> PushDecodeError? {
        do {
            _ = try PushDecoder.decode(body: Array(body.utf8), contentType: "application/json", tenant: "fake")
            return nil
        } catch {
            return error
        }
    }

    @Test func malformedJSONIsATypedError() {
        #expect(jsonError(#"{"streams":[{"stream":{"a":"b"},"values":[[1700000000, "x"]]}]}"#)
            == .shape(path: "streams[0].values[0][0]", expected: "the timestamp as a string of unix nanoseconds"))
        #expect(jsonError(#"{"streams":[{"stream":{"a":"b"},"values":[["17e9", "x"]]}]}"#)
            == .invalidTimestamp(stream: 0, entry: 0, text: "17e9"))
        #expect(jsonError(#"{"streams":[{"stream":{},"values":[]}]}"#) == .noLabels(stream: 0))
        #expect(jsonError(#"{"streams":[{"stream":{"1a":"b"},"values":[]}]}"#) == .invalidLabelName(stream: 0, name: "1a"))
        #expect(jsonError(#"{"streams":[{"stream":{"a":"b"},"values":[["1"]]}]}"#)
            == .shape(path: "streams[0].values[0]", expected: "[\"<unix ns>\", \"<line>\"] (2 or 3 elements)"))
        #expect(jsonError(#"{"nope":1}"#) == .shape(path: "body", expected: "a \"streams\" member"))
        guard case .json(let e)? = jsonError(#"{"streams":[{"stream":{"a":"b"},"values":[["1","x"]]}"#) else {
            Issue.record("expected a syntax error")
            return
        }
        #expect(e.offset == 53)  // the end of input, where ']' or '}' was expected
        #expect(e.found == "end of input")
        guard case .json? = jsonError("{\"streams\":[{\"stream\":{\"a\":\"b\"},\"values\":[[\"1\",\"a\u{01}\"]]}]}") else {
            Issue.record("control characters inside strings must be rejected")
            return
        }
        guard case .json? = jsonError(#"{"streams":[]} trailing"#) else {
            Issue.record("trailing garbage must be rejected")
            return
        }
    }

    @Test func malformedProtobufIsATypedError() {
        func decode(_ message: [UInt8]) -> PushDecodeError? {
            do {
                _ = try PushDecoder.decode(body: Snappy.compress(message), contentType: "application/x-protobuf", tenant: "f")
                return nil
            } catch {
                return error
            }
        }
        // streams field claims 100 bytes but only 2 follow
        #expect(decode([0x0A, 0x64, 0x0A, 0x00]) == .protobuf(ProtobufError(offset: 1, message: "length 100 runs past the end of the message (2 bytes left)")))
        // streams field sent as a varint
        #expect(decode([0x08, 0x01]) == .protobuf(ProtobufError(offset: 1, message: "field PushRequest.streams has wire type 0, expected 2")))
        // stream without labels
        #expect(decode([0x0A, 0x00]) == .noLabels(stream: 0))
        // labels that are not a label set
        if case .invalidLabels(0, let e)? = decode([0x0A, 0x05, 0x0A, 0x03, 0x61, 0x3D, 0x62]) {
            #expect(e.expected == "'{'")
        } else {
            Issue.record("expected invalidLabels")
        }
        // nanos out of range
        let badNanos: [UInt8] = [0x0A, 0x13, 0x0A, 0x07, 0x7B, 0x61, 0x3D, 0x22, 0x62, 0x22, 0x7D,
                                 0x12, 0x08, 0x0A, 0x06, 0x10, 0x80, 0x94, 0xEB, 0xDC, 0x03]
        guard case .protobuf? = decode(badNanos) else {
            Issue.record("nanos ≥ 1e9 must be rejected")
            return
        }
        #expect(throws: PushDecodeError.unsupportedContentType("text/plain")) {
            try PushDecoder.decode(body: [], contentType: "text/plain", tenant: "f")
        }
        do {
            _ = try PushDecoder.decode(body: [0x05, 0x00], contentType: "application/x-protobuf", tenant: "f")
            Issue.record("bad snappy must be rejected")
        } catch {
            guard case .snappy = error else { Issue.record("expected a snappy error, got \(error)"); return }
        }
    }

    @Test func labelSetText() throws {
        #expect(try LabelSetText.parse(#"{b="2", a = "1",}"#) == Labels(["a": "1", "b": "2"]))
        #expect(try LabelSetText.parse(#"{a="q\"\\\n\u00e9"}"#)["a"] == "q\"\\\né")
        #expect(try LabelSetText.parse("{}") == Labels())
        #expect(throws: LabelSetSyntaxError.self) { try LabelSetText.parse(#"{a=~"x"}"#) }
        #expect(throws: LabelSetSyntaxError.self) { try LabelSetText.parse(#"{a="1", a="2"}"#) }
        #expect(throws: LabelSetSyntaxError.self) { try LabelSetText.parse(#"{a="1""#) }
        // Our own printed form reads back.
        let labels = Labels(["app": "we\"ird\\val\nue\t", "z": "ü"])
        #expect(try LabelSetText.parse(labels.description) == labels)
    }
}

/// `prompb.WriteRequest` against bytes assembled by hand from the protobuf encoding rules.
@Suite struct RemoteWriteCodecTests {
    /// `{__name__="up", job="a"}` with one sample 1.0 at t=1000.
    static let handWritten: [UInt8] = [0x0A, 40,
        0x0A, 14, 0x0A, 8] + Array("__name__".utf8) + [0x12, 2] + Array("up".utf8) + [
        0x0A, 8, 0x0A, 3] + Array("job".utf8) + [0x12, 1] + Array("a".utf8) + [
        0x12, 12, 0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x10, 0xE8, 0x07]

    static let series = RemoteWriteSeries(labels: [Label(name: "__name__", value: "up"), Label(name: "job", value: "a")],
                                          samples: [RemoteWriteSample(t: 1000, v: 1)])

    @Test func encodesAndDecodesTheHandWrittenMessage() throws {
        #expect(RemoteWriteCodec.encodeWriteRequest([Self.series]) == Self.handWritten)
        let decoded = try Self.handWritten.withUnsafeBytes { try RemoteWriteCodec.decodeWriteRequest($0) }
        #expect(decoded == [Self.series])
    }

    @Test func roundTripsEdgeValuesThroughSnappy() throws {
        let samples = [RemoteWriteSample(t: 0, v: 0), RemoteWriteSample(t: -5, v: -0.0),
                       RemoteWriteSample(t: .max, v: .infinity), RemoteWriteSample(t: 7, v: Double(bitPattern: 0x7ff0_0000_0000_0002))]
        let s = RemoteWriteSeries(labels: [Label(name: "__name__", value: "ü"), Label(name: "empty", value: "")], samples: samples)
        let body = RemoteWriteCodec.encode([s, Self.series], metadata: [RemoteWriteMetadata(type: .counter, family: "up", help: "h")])
        let decoded = try body.withUnsafeBytes { try RemoteWriteCodec.decode(snappyBody: $0, maxDecompressedSize: 1 << 20) }
        #expect(decoded == [s, Self.series])
    }

    @Test func skipsUnknownFieldsAndCountsHistograms() throws {
        // The series with an exemplar (3) and a histogram (4) appended, then top-level metadata (3).
        var inner = Array(Self.handWritten[2...])
        inner += [0x1A, 0, 0x22, 0]
        let body: [UInt8] = [0x0A, UInt8(inner.count)] + inner + [0x1A, 2, 0x08, 1]
        let decoded = try body.withUnsafeBytes { try RemoteWriteCodec.decodeWriteRequest($0) }
        #expect(decoded.count == 1 && decoded[0].histogramCount == 1 && decoded[0].samples == Self.series.samples)
    }

    @Test func refusesMalformedMessages() {
        for bad: [UInt8] in [[0x0A, 41] + Self.handWritten.dropFirst(2), [0x0A, 3, 0x12, 1, 0x09], [0x0A, 2, 0x12, 0x09]] {
            #expect(throws: ProtobufError.self) { try bad.withUnsafeBytes { try RemoteWriteCodec.decodeWriteRequest($0) } }
        }
        #expect(throws: PushDecodeError.self) { try [UInt8]([5, 0]).withUnsafeBytes { try RemoteWriteCodec.decode(snappyBody: $0, maxDecompressedSize: 100) } }
    }
}
