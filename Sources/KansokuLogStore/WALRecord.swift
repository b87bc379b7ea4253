import KansokuCore

/// One WAL record: the entries one append call accepted for one stream, self-contained (tenant
/// and labels included) so a segment can be replayed after older ones are deleted.
/// Framing on disk: `u32 payload length | u32 CRC32C(payload) | payload` (see FORMAT.md).
/// A payload is either the entries themselves (type 1) or, when that pays, a zstd frame of
/// them (type 2), so the WAL holds compressed bytes the way the chunks do.
struct WALRecord {
    static let entriesType: UInt8 = 1
    static let compressedType: UInt8 = 2
    static let headerSize = 8

    /// Appends the framed record of entries `range` of `batch` to `w`, compressed with
    /// `compression` when given and worth it.
    static func encode(_ batch: PackedBatch, range: Range<Int>, into w: inout ByteWriter, compression: WALCompression? = nil) {
        let start = w.count
        w.writeU32(0)
        w.writeU32(0)
        w.writeU8(entriesType)
        w.writeString(batch.tenant)
        w.writeUVarint(UInt64(batch.labels.count))
        for l in batch.labels { w.writeString(l.name); w.writeString(l.value) }
        w.writeUVarint(UInt64(range.count))
        batch.bytes.withUnsafeBytes { bytes in
            for i in range {
                w.writeVarint(batch.timestamps[i])
                let line = UnsafeRawBufferPointer(rebasing: bytes[batch.lineStarts[i]..<batch.lineEnds[i]])
                w.writeUVarint(UInt64(line.count))
                w.writeBytes(line)
                if batch.metadata.isEmpty {
                    w.writeU8(0)
                } else {
                    let md = batch.metadata[i]
                    w.writeUVarint(UInt64(md.count))
                    for l in md { w.writeString(l.name); w.writeString(l.value) }
                }
            }
        }
        if let compression {
            let packed = w.bytes.withUnsafeBytes { compression.compress(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize + 1)...])) }
            if let packed {
                let rawLength = w.count - start - headerSize - 1
                w.bytes.removeSubrange((start + headerSize)...)
                w.writeU8(compressedType)
                w.writeUVarint(UInt64(rawLength))
                w.writeBytes(packed)
            }
        }
        let payloadLength = w.count - start - headerSize
        let crc = w.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + headerSize)...])) }
        w.patchU32(UInt32(payloadLength), at: start)
        w.patchU32(crc, at: start + 4)
    }

    /// Decodes a record payload (its CRC already verified) into a packed batch; compressed
    /// payloads are inflated with `decompressor`.
    static func decode(_ payload: UnsafeRawBufferPointer, decompressor: ZstdDecompressor?) throws(ByteReadError) -> PackedBatch {
        var r = ByteReader(payload)
        let type = try r.readU8()
        if type == compressedType {
            let rawLength = try r.readUVarint()
            guard rawLength <= UInt64(WALCompression.maximumPayload), let decompressor,
                  let raw = decompressor.decompress(UnsafeRawBufferPointer(rebasing: payload[r.offset...]), size: Int(rawLength), prefix: nil)
            else { throw .truncated(offset: r.offset, wanted: Int(clamping: rawLength)) }
            let decoded = raw.withUnsafeBytes { b in Result { () throws(ByteReadError) -> PackedBatch in try decodeEntries(b, from: 0) } }
            return try decoded.get()
        }
        guard type == entriesType else { throw .badVarint(offset: 0) }
        return try decodeEntries(payload, from: 1)
    }

    /// Decodes the entries of a type-1 payload, starting after its type byte at `from`.
    private static func decodeEntries(_ payload: UnsafeRawBufferPointer, from: Int) throws(ByteReadError) -> PackedBatch {
        var r = ByteReader(payload, offset: from)
        let tenant = try r.readString()
        let labelCount = try r.readUVarint()
        guard labelCount <= UInt64(r.remaining) else { throw .truncated(offset: r.offset, wanted: Int(clamping: labelCount)) }
        var labels = [Label]()
        for _ in 0..<labelCount { labels.append(Label(name: try r.readString(), value: try r.readString())) }
        let entryCount = try r.readUVarint()
        guard entryCount <= UInt64(r.remaining) else { throw .truncated(offset: r.offset, wanted: Int(clamping: entryCount)) }
        var batch = PackedBatch(tenant: tenant, labels: Labels(labels), timestamps: [], bytes: [], lineStarts: [], lineEnds: [])
        batch.timestamps.reserveCapacity(Int(entryCount))
        batch.lineStarts.reserveCapacity(Int(entryCount))
        batch.lineEnds.reserveCapacity(Int(entryCount))
        batch.bytes.reserveCapacity(r.remaining)
        var metadata: [Labels] = []
        for i in 0..<Int(entryCount) {
            batch.timestamps.append(try r.readVarint())
            let line = try r.readLengthPrefixed()
            batch.lineStarts.append(batch.bytes.count)
            batch.bytes.append(contentsOf: line)
            batch.lineEnds.append(batch.bytes.count)
            let mdCount = try r.readUVarint()
            guard mdCount <= UInt64(r.remaining) else { throw .truncated(offset: r.offset, wanted: Int(clamping: mdCount)) }
            if mdCount > 0 {
                var pairs = [Label]()
                for _ in 0..<mdCount { pairs.append(Label(name: try r.readString(), value: try r.readString())) }
                if metadata.isEmpty { metadata = [Labels](repeating: Labels(), count: i) }
                metadata.append(Labels(pairs))
            } else if !metadata.isEmpty {
                metadata.append(Labels())
            }
        }
        batch.metadata = metadata
        return batch
    }
}
