import Testing
import KansokuCore
@testable import KansokuLogStore

/// The period index round-trips, and files of the first version (without chunk flags) are
/// still read, their chunks' metadata flags unknown.
@Suite struct IndexFileTests {
    static func index() -> PeriodIndex {
        var index = PeriodIndex(start: 1_704_067_200_000_000_000)
        for (i, zone) in ["a", "b", "c"].enumerated() {
            let id = UInt64(100 + i)
            let t = index.start + Int64(i) * 1_000_000_000
            index.register(id: id, tenant: "fake", labels: Labels(["job": "camera", "zone": zone]), minTime: t, maxTime: t + 5)
            index.addChunk(id: id, ref: ChunkRef(file: "periods/1/fake~000001.seg", offset: Int64(i * 1000), length: 900,
                                                 minTime: t, maxTime: t + 5, entries: 3 + i, rawSize: 40 + i,
                                                 withoutMetadata: i != 1),
                           mark: WALMark(segment: 1, record: i, entry: 2))
        }
        return index
    }

    static func chunks(_ index: PeriodIndex) -> [UInt64: [ChunkRef]] { index.streams.mapValues(\.chunks) }

    @Test func roundTripsChunkFacts() throws {
        let index = Self.index()
        let decoded = try IndexFile.decode(IndexFile.encode(index), path: "index")
        #expect(Self.chunks(decoded) == Self.chunks(index))
        #expect(decoded.streams[101]?.chunks.first?.withoutMetadata == false)
        #expect(decoded.streams[102]?.chunks.first?.withoutMetadata == true)
        #expect(decoded.matching(tenant: "fake", [try LabelMatcher(name: "zone", type: .equal, value: "b")]) == [101])
    }

    /// Version 1 written as FORMAT.md describes it, by hand.
    @Test func readsVersionOneWithoutChunkFlags() throws {
        let index = Self.index()
        var w = ByteWriter(capacity: 1024)
        w.writeBytes(Array("KLIX".utf8))
        w.writeU8(1)
        w.writeU64(UInt64(bitPattern: index.start))
        let ids = index.streams.keys.sorted()
        w.writeUVarint(UInt64(ids.count))
        for id in ids {
            let s = index.streams[id]!
            w.writeU64(id)
            w.writeString(s.tenant)
            w.writeUVarint(UInt64(s.labels.count))
            for l in s.labels { w.writeString(l.name); w.writeString(l.value) }
            w.writeVarint(s.minTime)
            w.writeVarint(s.maxTime)
            w.writeU8(0)
            w.writeUVarint(UInt64(s.chunks.count))
            for c in s.chunks {
                w.writeString(c.file)
                w.writeUVarint(UInt64(c.offset))
                w.writeUVarint(UInt64(c.length))
                w.writeVarint(c.minTime)
                w.writeVarint(c.maxTime)
                w.writeUVarint(UInt64(c.entries))
                w.writeUVarint(UInt64(c.rawSize))
            }
        }
        w.writeUVarint(0)
        w.writeU32(CRC32C.checksum(w.bytes))
        let decoded = try IndexFile.decode(w.bytes, path: "index")
        var want = Self.chunks(index)
        for k in want.keys { want[k] = want[k]!.map { var c = $0; c.withoutMetadata = false; return c } }
        #expect(Self.chunks(decoded) == want)
        var newer = w.bytes
        newer[4] = 3
        newer.replaceSubrange((newer.count - 4)..., with: withUnsafeBytes(of: CRC32C.checksum(Array(newer.dropLast(4))).littleEndian, Array.init))
        #expect(throws: LogStoreError.self) { try IndexFile.decode(newer, path: "index") }
    }
}
