import KansokuCore

/// Serialization of a `PeriodIndex` (see FORMAT.md). Written atomically; read on open.
enum IndexFile {
    static let magic: [UInt8] = Array("KLIX".utf8)
    /// Version 2 adds each chunk's flags; version 1 files are still read.
    static let version: UInt8 = 2

    static func encode(_ index: PeriodIndex) -> [UInt8] {
        var w = ByteWriter(capacity: 4096)
        w.writeBytes(magic)
        w.writeU8(version)
        w.writeU64(UInt64(bitPattern: index.start))
        let ids = index.streams.keys.sorted()
        w.writeUVarint(UInt64(ids.count))
        for id in ids {
            guard let s = index.streams[id] else { continue }
            w.writeU64(id)
            w.writeString(s.tenant)
            w.writeUVarint(UInt64(s.labels.count))
            for l in s.labels { w.writeString(l.name); w.writeString(l.value) }
            w.writeVarint(s.minTime)
            w.writeVarint(s.maxTime)
            if let m = s.flushedThrough {
                w.writeU8(1); w.writeUVarint(UInt64(m.segment)); w.writeUVarint(UInt64(m.record)); w.writeUVarint(UInt64(m.entry))
            } else {
                w.writeU8(0)
            }
            w.writeUVarint(UInt64(s.chunks.count))
            for c in s.chunks {
                w.writeString(c.file)
                w.writeUVarint(UInt64(c.offset))
                w.writeUVarint(UInt64(c.length))
                w.writeVarint(c.minTime)
                w.writeVarint(c.maxTime)
                w.writeUVarint(UInt64(c.entries))
                w.writeUVarint(UInt64(c.rawSize))
                w.writeU8(c.withoutMetadata ? 1 : 0)
            }
        }
        let tenants = index.postings.keys.sorted()
        w.writeUVarint(UInt64(tenants.count))
        for t in tenants {
            let names = index.postings[t] ?? [:]
            w.writeString(t)
            w.writeUVarint(UInt64(names.count))
            for name in names.keys.sorted() {
                let values = names[name] ?? [:]
                w.writeString(name)
                w.writeUVarint(UInt64(values.count))
                for value in values.keys.sorted() {
                    let list = values[value]?.ids ?? []
                    w.writeString(value)
                    w.writeUVarint(UInt64(list.count))
                    var prev: UInt64 = 0
                    for id in list { w.writeUVarint(id &- prev); prev = id }
                }
            }
        }
        w.writeU32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], path: String) throws(LogStoreError) -> PeriodIndex {
        let result: Result<PeriodIndex, LogStoreError> = bytes.withUnsafeBytes { raw in
            guard raw.count >= 17, Array(raw[0..<4]) == magic else {
                return .failure(.corrupt(file: path, offset: 0, reason: "not an index file"))
            }
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)])
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self))
            guard CRC32C.checksum(body) == stored else { return .failure(.checksumMismatch(file: path, offset: 0)) }
            var r = ByteReader(body, offset: 4)
            do throws(ByteReadError) {
                let fileVersion = try r.readU8()
                guard fileVersion == 1 || fileVersion == version else {
                    return .failure(.corrupt(file: path, offset: 4, reason: "unknown index version \(fileVersion)"))
                }
                var index = PeriodIndex(start: Int64(bitPattern: try r.readU64()))
                let n = try r.readUVarint()
                for _ in 0..<n {
                    let id = try r.readU64()
                    let tenant = try r.readString()
                    let lc = try r.readUVarint()
                    var labels: [Label] = []
                    for _ in 0..<lc { labels.append(Label(name: try r.readString(), value: try r.readString())) }
                    var s = IndexedStream(tenant: tenant, labels: Labels(labels), minTime: try r.readVarint(), maxTime: try r.readVarint())
                    if try r.readU8() == 1 {
                        s.flushedThrough = WALMark(segment: Int(try r.readUVarint()), record: Int(try r.readUVarint()),
                                                   entry: Int(try r.readUVarint()))
                    }
                    let cc = try r.readUVarint()
                    for _ in 0..<cc {
                        var c = ChunkRef(file: try r.readString(), offset: Int64(try r.readUVarint()),
                                         length: Int(try r.readUVarint()), minTime: try r.readVarint(),
                                         maxTime: try r.readVarint(), entries: Int(try r.readUVarint()),
                                         rawSize: Int(try r.readUVarint()))
                        if fileVersion >= 2 { c.withoutMetadata = try r.readU8() & 1 != 0 }
                        s.chunks.append(c)
                    }
                    index.streams[id] = s
                    index.widen(s.minTime, s.maxTime)
                }
                let tc = try r.readUVarint()
                for _ in 0..<tc {
                    let tenant = try r.readString()
                    let nc = try r.readUVarint()
                    for _ in 0..<nc {
                        let name = try r.readString()
                        let vc = try r.readUVarint()
                        for _ in 0..<vc {
                            let value = try r.readString()
                            let ic = try r.readUVarint()
                            var list: [UInt64] = []
                            var prev: UInt64 = 0
                            for _ in 0..<ic { prev &+= try r.readUVarint(); list.append(prev) }
                            index.postings[tenant, default: [:]][name, default: [:]][value] = PostingList(sorted: list)
                        }
                    }
                }
                return .success(index)
            } catch {
                return .failure(.corrupt(file: path, offset: Int64(r.offset), reason: "\(error)"))
            }
        }
        return try result.get()
    }
}
