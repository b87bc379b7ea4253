import KansokuCore

/// One WAL record: the entries one append call accepted for one stream, self-contained (tenant
/// and labels included) so a segment can be replayed after older ones are deleted.
/// Framing on disk: `u32 payload length | u32 CRC32C(payload) | payload` (see FORMAT.md).
struct WALRecord {
    static let entriesType: UInt8 = 1
    static let headerSize = 8

    var tenant: String
    var labels: Labels
    var entries: ArraySlice<LogEntry>

    /// Appends the framed record to `w`.
    static func encode(tenant: String, labels: Labels, entries: some Collection<LogEntry>, into w: inout ByteWriter) {
        let start = w.count
        w.writeU32(0)
        w.writeU32(0)
        w.writeU8(entriesType)
        w.writeString(tenant)
        w.writeUVarint(UInt64(labels.count))
        for l in labels { w.writeString(l.name); w.writeString(l.value) }
        w.writeUVarint(UInt64(entries.count))
        for e in entries {
            w.writeVarint(e.timestamp)
            w.writeLengthPrefixed(e.line)
            w.writeUVarint(UInt64(e.metadata.count))
            for l in e.metadata { w.writeString(l.name); w.writeString(l.value) }
        }
        let payloadLength = w.count - start - headerSize
        let crc = w.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize)...])) }
        w.patchU32(UInt32(payloadLength), at: start)
        w.patchU32(crc, at: start + 4)
    }

    /// Decodes a record payload (its CRC already verified).
    static func decode(_ payload: UnsafeRawBufferPointer) throws(ByteReadError) -> (tenant: String, labels: Labels, entries: [LogEntry]) {
        var r = ByteReader(payload)
        guard try r.readU8() == entriesType else { throw .badVarint(offset: 0) }
        let tenant = try r.readString()
        let labelCount = try r.readUVarint()
        guard labelCount <= UInt64(r.remaining) else { throw .truncated(offset: r.offset, wanted: Int(clamping: labelCount)) }
        var labels = [Label]()
        for _ in 0..<labelCount { labels.append(Label(name: try r.readString(), value: try r.readString())) }
        let entryCount = try r.readUVarint()
        guard entryCount <= UInt64(r.remaining) else { throw .truncated(offset: r.offset, wanted: Int(clamping: entryCount)) }
        var entries = [LogEntry]()
        entries.reserveCapacity(Int(entryCount))
        for _ in 0..<entryCount {
            let ts = try r.readVarint()
            let line = Array(try r.readLengthPrefixed())
            let mdCount = try r.readUVarint()
            guard mdCount <= UInt64(r.remaining) else { throw .truncated(offset: r.offset, wanted: Int(clamping: mdCount)) }
            var md = Labels()
            if mdCount > 0 {
                var pairs = [Label]()
                for _ in 0..<mdCount { pairs.append(Label(name: try r.readString(), value: try r.readString())) }
                md = Labels(pairs)
            }
            entries.append(LogEntry(timestamp: ts, line: line, metadata: md))
        }
        return (tenant, Labels(labels), entries)
    }
}
