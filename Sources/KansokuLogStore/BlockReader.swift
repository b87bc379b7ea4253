import KansokuCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads stored blocks: keeps segment files open for reading, caches chunk metas and the
/// payloads of first blocks that later blocks decode against. Never trusts disk bytes: every
/// length is bounds-checked and every block's CRC32C verified before decompression.
final class BlockReader: Sendable {
    let directory: String
    let codec: BlockCodec
    private let fds = Mutex<[String: Int32]>([:])
    private let metas = Mutex(MetaCache())
    /// Bytes of block metas (mostly token filters, ~1 KB per 256 KiB block) kept in memory:
    /// enough for every chunk a busy day of queries touches, and a bound however much data
    /// the store holds.
    static let metaCacheBytes = 32 << 20
    /// Payload bytes of chunks' first blocks, the prefix their later blocks decode against.
    private let prefixes = Mutex<[DiskBlockLocation: [UInt8]]>([:])

    init(directory: String, codec: BlockCodec) {
        self.directory = directory
        self.codec = codec
    }

    private func fd(_ relative: String) throws(LogStoreError) -> Int32 {
        if let fd = fds.withLock({ $0[relative] }) { return fd }
        let fd: Int32
        do throws(FileIOError) { fd = try FileIO.open(directory + "/" + relative, flags: O_RDONLY) } catch { throw .io(error) }
        return fds.withLock { f in
            if let existing = f[relative] { FileIO.close(fd); return existing }
            f[relative] = fd
            return fd
        }
    }

    /// Closes files of a deleted period and forgets cached data from them.
    func forget(prefix: String) {
        fds.withLock { f in
            for (k, fd) in f where k.hasPrefix(prefix) { FileIO.close(fd); f[k] = nil }
        }
        metas.withLock { m in m.remove { $0.file.hasPrefix(prefix) } }
        prefixes.withLock { d in d = d.filter { !$0.key.file.hasPrefix(prefix) } }
    }

    /// What the caches hold: metas' bytes and the number of cached prefixes.
    var cached: (metaBytes: Int, prefixes: Int) {
        (metas.withLock { $0.bytes }, prefixes.withLock { $0.count })
    }

    func closeAll() {
        fds.withLock { f in
            for fd in f.values { FileIO.close(fd) }
            f.removeAll()
        }
    }

    /// The block metas of a stored chunk, cached unless `cache` is false (compaction reads
    /// chunks it is about to replace: caching their metas only took memory from queries).
    func blockMetas(_ ref: ChunkRef, cache: Bool = true) throws(LogStoreError) -> [BlockMeta] {
        let key = DiskBlockLocation(file: ref.file, offset: ref.offset, length: ref.length)
        if let m = metas.withLock({ $0.lookup(key, budget: BlockReader.metaCacheBytes) }) { return m }
        let m = try ChunkFormat.readMeta(fd: try fd(ref.file), path: directory + "/" + ref.file, offset: ref.offset, length: ref.length)
        if cache { metas.withLock { $0.insert(m, for: key, budget: BlockReader.metaCacheBytes) } }
        return m
    }

    /// Reads, verifies and decodes the block at `location` (`length` excludes its CRC).
    func read(_ location: DiskBlockLocation, payloadSize: Int, dictionary: DiskBlockLocation?, dictionaryPayload: Int,
              prefixSlot: PrefixSlot? = nil) throws(LogStoreError) -> DecodedBlock {
        try withVerified(location, dictionary: dictionary, dictionaryPayload: dictionaryPayload, prefixSlot: prefixSlot) { body, prefix in
            codec.decode(compressed: body, payloadSize: payloadSize, prefixPayload: prefix)
        }
    }

    /// Reads and verifies the block at `location` and lends its entries, decoded into reused
    /// buffers, to `body`.
    func withBlock<R>(_ location: DiskBlockLocation, payloadSize: Int, dictionary: DiskBlockLocation?, dictionaryPayload: Int,
                      prefixSlot: PrefixSlot? = nil, _ body: (BorrowedBlock) -> R) throws(LogStoreError) -> R {
        try withVerified(location, dictionary: dictionary, dictionaryPayload: dictionaryPayload, prefixSlot: prefixSlot) { compressed, prefix in
            codec.withDecoded(compressed: compressed, payloadSize: payloadSize, prefixPayload: prefix, body)
        }
    }

    /// Reads the block at `location`, checks its CRC32C and hands its compressed body, with the
    /// payload of the chunk's first block when it decodes against it, to `decode`.
    private func withVerified<R>(_ location: DiskBlockLocation, dictionary: DiskBlockLocation?, dictionaryPayload: Int,
                                 prefixSlot: PrefixSlot?,
                                 _ decode: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) -> Result<R, PayloadError>) throws(LogStoreError) -> R {
        let path = directory + "/" + location.file
        var prefix: [UInt8]?
        if let dictionary, let prefixSlot {
            if prefixSlot.location != dictionary {
                prefixSlot.payload = BlockCodec.payload(of: try read(dictionary, payloadSize: dictionaryPayload, dictionary: nil, dictionaryPayload: 0))
                prefixSlot.location = dictionary
            }
            prefix = prefixSlot.payload
        } else if let dictionary {
            if let cached = prefixes.withLock({ $0[dictionary] }) {
                prefix = cached
            } else {
                let payload = BlockCodec.payload(of: try read(dictionary, payloadSize: dictionaryPayload, dictionary: nil, dictionaryPayload: 0))
                prefixes.withLock { c in
                    if c.count > 64 { c.removeAll() }
                    c[dictionary] = payload
                }
                prefix = payload
            }
        }
        let file = try fd(location.file)
        let bytes: [UInt8]
        do throws(FileIOError) { bytes = try FileIO.pread(file, count: location.length + 4, at: location.offset, path: path) } catch { throw .io(error) }
        guard bytes.count == location.length + 4 else {
            throw .corrupt(file: path, offset: location.offset, reason: "block truncated")
        }
        let result: Result<R, PayloadError>? = bytes.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<location.length])
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: location.length, as: UInt32.self))
            guard CRC32C.checksum(body) == stored else { return nil }
            guard let prefix else { return decode(body, nil) }
            return prefix.withUnsafeBytes { decode(body, $0) }
        }
        switch result {
        case .none: throw .checksumMismatch(file: path, offset: location.offset)
        case .some(.failure(let e)): throw .corrupt(file: path, offset: location.offset, reason: e.reason)
        case .some(.success(let r)): return r
        }
    }
}

/// Cached block metas of stored chunks, bounded by bytes, in two generations: new entries
/// go into the young one, an entry found in the old one is copied into the young one, and
/// once the young one holds half the budget the old one is dropped whole and the young one
/// takes its place. Evicting entry by entry instead (each deletion rehashing its neighbours'
/// file names) made a count over 1,000,000 one-block chunks, which no budget holds, take
/// 50 s: every query evicted most of the cache.
struct MetaCache {
    var young: [DiskBlockLocation: [BlockMeta]] = [:]
    var old: [DiskBlockLocation: [BlockMeta]] = [:]
    var youngBytes = 0
    var oldBytes = 0
    var bytes: Int { youngBytes + oldBytes }

    static func size(_ m: [BlockMeta]) -> Int { m.reduce(64) { $0 + 80 + $1.bloom.byteSize } }

    mutating func lookup(_ key: DiskBlockLocation, budget: Int) -> [BlockMeta]? {
        if let m = young[key] { return m }
        guard let m = old[key] else { return nil }
        insert(m, for: key, budget: budget)
        return m
    }

    mutating func insert(_ m: [BlockMeta], for key: DiskBlockLocation, budget: Int) {
        let size = Self.size(m)
        if youngBytes + size > budget / 2 && young[key] == nil {
            old = young
            oldBytes = youngBytes
            young = [:]
            youngBytes = 0
        }
        if let replaced = young.updateValue(m, forKey: key) { youngBytes -= Self.size(replaced) }
        youngBytes += size
    }

    mutating func remove(where drop: (DiskBlockLocation) -> Bool) {
        young = young.filter { !drop($0.key) }
        old = old.filter { !drop($0.key) }
        youngBytes = young.values.reduce(0) { $0 + Self.size($1) }
        oldBytes = old.values.reduce(0) { $0 + Self.size($1) }
    }
}

/// The payload of one chunk's first block, held by a reader going through many chunks' blocks
/// in turn (compaction) instead of the shared prefix cache: that cache serves queries, and
/// filling it with chunks about to be replaced kept up to 65 payloads of ~256 KiB resident.
final class PrefixSlot {
    var location: DiskBlockLocation?
    var payload: [UInt8] = []
}
