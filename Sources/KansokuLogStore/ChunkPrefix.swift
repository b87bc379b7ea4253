import Synchronization
import KansokuCore

/// A chunk's first block, which every later block of the chunk is compressed against (see
/// FORMAT.md, "Chunk prefix"), and, once a later block needs it, the block's payload digested
/// as a zstd dictionary. Digesting once per chunk, rather than loading the 256 KiB prefix
/// into the match tables again for every block, roughly halves the compression work of later
/// blocks; the frames are the same a prefix would give.
final class ChunkPrefix: Sendable {
    let block: DecodedBlock
    private let digested = Mutex<ZstdDictionary?>(nil)

    init(_ block: DecodedBlock) { self.block = block }

    /// The digested payload, built by the first caller (others wait: they need it too).
    func dictionary(level: Int32) -> ZstdDictionary? {
        digested.withLock { cached in
            if let cached { return cached }
            cached = BlockCodec.payload(of: block).withUnsafeBytes { ZstdDictionary($0, level: level) }
            return cached
        }
    }
}
