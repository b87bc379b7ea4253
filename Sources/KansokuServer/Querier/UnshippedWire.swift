import Foundation
import KansokuCore
import KansokuLogStore

/// What a querier asks an ingester for: the entries of the streams each selection matches
/// that the querier cannot read from the bucket. `shipped` lists, per ingester prefix
/// (`logs/<tenant>/<ingester>/<incarnation>/`), the chunks the querier reads there (segment file →
/// chunk byte ranges); an ingester leaves out those of its own prefix.
struct UnshippedRequest: Sendable, Equatable {
    struct Selection: Sendable, Equatable {
        var matchers: [LabelMatcher]
        var from: Int64
        var through: Int64
    }

    var selections: [Selection]
    var shipped: [String: [String: [Range<Int64>]]]

    /// Bounds what one request may ask (it comes over the network).
    static let maxSelections = 64
    static let maxChunkRanges = 1_000_000

    func json() -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.key("selections"); w.beginArray()
        for s in selections {
            w.beginObject()
            w.key("matchers"); w.beginArray()
            for m in s.matchers {
                w.beginObject(); w.field("name", m.name); w.field("type", m.type.rawValue); w.field("value", m.value); w.endObject()
            }
            w.endArray()
            w.key("from"); w.int(s.from); w.key("through"); w.int(s.through)
            w.endObject()
        }
        w.endArray()
        w.key("shipped"); w.beginObject()
        for (prefix, files) in shipped.sorted(by: { $0.key < $1.key }) {
            w.key(prefix); w.beginObject()
            for (file, ranges) in files.sorted(by: { $0.key < $1.key }) {
                w.key(file); w.beginArray()
                for r in ranges { w.int(r.lowerBound); w.int(r.upperBound) }
                w.endArray()
            }
            w.endObject()
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// Parses a request body; the message says what is wrong.
    static func parse(_ body: [UInt8]) throws(UnshippedWireError) -> UnshippedRequest {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let selections = root["selections"] as? [[String: Any]] else {
            throw .malformed("expected {\"selections\": [...], \"shipped\": {...}}")
        }
        guard selections.count <= maxSelections else { throw .malformed("more than \(maxSelections) selections") }
        var request = UnshippedRequest(selections: [], shipped: [:])
        for s in selections {
            guard let from = (s["from"] as? NSNumber)?.int64Value, let through = (s["through"] as? NSNumber)?.int64Value,
                  let list = s["matchers"] as? [[String: Any]] else { throw .malformed("a selection needs matchers, from and through") }
            var matchers: [LabelMatcher] = []
            for m in list {
                guard let name = m["name"] as? String, let value = m["value"] as? String,
                      let type = (m["type"] as? String).flatMap(MatchType.init(rawValue:)) else { throw .malformed("bad matcher \(m)") }
                do { matchers.append(try LabelMatcher(name: name, type: type, value: value)) } catch { throw .malformed("\(error)") }
            }
            request.selections.append(Selection(matchers: matchers, from: from, through: through))
        }
        var count = 0
        for (prefix, files) in root["shipped"] as? [String: [String: [NSNumber]]] ?? [:] {
            for (file, bounds) in files {
                guard bounds.count % 2 == 0 else { throw .malformed("chunk ranges of \(file) are not pairs") }
                count += bounds.count / 2
                guard count <= maxChunkRanges else { throw .malformed("more than \(maxChunkRanges) chunk ranges") }
                request.shipped[prefix, default: [:]][file] = stride(from: 0, to: bounds.count, by: 2).compactMap { i in
                    let lo = bounds[i].int64Value, hi = bounds[i + 1].int64Value
                    return lo < hi ? lo..<hi : nil
                }
            }
        }
        return request
    }
}

/// An ingester's answer: streams and their entries, in a compact binary form checked by CRC.
///
/// ```
/// "KUNS" | u8 version = 1 | uvarint streams
/// per stream: uvarint n, n x (string name, string value)
///             uvarint entries, per entry: varint ts | uvarint length, line | uvarint k, k x (string, string)
/// u32 CRC32C of everything above
/// ```
enum UnshippedWire {
    static let magic: [UInt8] = Array("KUNS".utf8)
    static let contentType = "application/x-kansoku-unshipped"

    /// Encodes each stream's entries within `[from, through]` of its blocks.
    static func encode(_ streams: [(labels: Labels, blocks: [DecodedBlock])], from: Int64, through: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 4096)
        w.writeBytes(magic)
        w.writeU8(1)
        w.writeUVarint(UInt64(streams.count))
        for (labels, blocks) in streams {
            w.writeUVarint(UInt64(labels.count))
            for l in labels { w.writeString(l.name); w.writeString(l.value) }
            let count = blocks.reduce(0) { n, b in n + b.timestamps.lazy.filter { $0 >= from && $0 <= through }.count }
            w.writeUVarint(UInt64(count))
            for b in blocks {
                for i in 0..<b.count where b.timestamps[i] >= from && b.timestamps[i] <= through {
                    w.writeVarint(b.timestamps[i])
                    b.withLine(i) { w.writeLengthPrefixed($0) }
                    let md = b.metadata(i)
                    w.writeUVarint(UInt64(md.count))
                    for l in md { w.writeString(l.name); w.writeString(l.value) }
                }
            }
        }
        w.writeU32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(UnshippedWireError) -> [(labels: Labels, entries: [LogEntry])] {
        let result: Result<[(labels: Labels, entries: [LogEntry])], UnshippedWireError> = bytes.withUnsafeBytes { raw in
            guard raw.count >= 9, Array(raw[0..<4]) == magic, raw[4] == 1 else { return .failure(.malformed("not an unshipped-entries answer")) }
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)])
            guard CRC32C.checksum(body) == UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self)) else {
                return .failure(.malformed("checksum mismatch"))
            }
            var r = ByteReader(body, offset: 5)
            do throws(ByteReadError) {
                var out: [(labels: Labels, entries: [LogEntry])] = []
                for _ in 0..<(try r.readUVarint()) {
                    var labels: [Label] = []
                    for _ in 0..<(try r.readUVarint()) { labels.append(Label(name: try r.readString(), value: try r.readString())) }
                    let n = try r.readUVarint()
                    guard n <= UInt64(r.remaining) else { return .failure(.malformed("entry count \(n)")) }
                    var entries: [LogEntry] = []
                    entries.reserveCapacity(Int(n))
                    for _ in 0..<n {
                        let ts = try r.readVarint()
                        let line = Array(try r.readLengthPrefixed())
                        var md: [Label] = []
                        for _ in 0..<(try r.readUVarint()) { md.append(Label(name: try r.readString(), value: try r.readString())) }
                        entries.append(LogEntry(timestamp: ts, line: line, metadata: Labels(md)))
                    }
                    out.append((Labels(labels), entries))
                }
                return .success(out)
            } catch {
                return .failure(.malformed("\(error)"))
            }
        }
        return try result.get()
    }
}

enum UnshippedWireError: Error, CustomStringConvertible {
    case malformed(String)

    var description: String {
        switch self { case .malformed(let why): "malformed unshipped-entries message: \(why)" }
    }
}
