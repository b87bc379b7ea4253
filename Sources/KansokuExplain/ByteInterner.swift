/// Dense ids for byte strings: one arena holding each distinct string once and an
/// open-addressing table over it, so looking a token or a field value up allocates nothing.
/// (A `Dictionary` keyed by `String` or `[UInt8]` would build a key per lookup, which is the
/// per-line allocation the ranking must not make; no package offers a byte-slice interner.)
/// Each entry carries a tag, so equal bytes under different tags (the same value of two
/// different fields) get different ids.
struct ByteInterner: Sendable {
    private var arena: [UInt8] = []
    /// Entry `i` is `arena[ends[i - 1] ..< ends[i]]` (`ends[-1]` being 0).
    private var ends: [Int] = []
    private(set) var tags: [Int32] = []
    private var hashes: [UInt64] = []
    /// Entry ids, -1 for an empty slot; the count is a power of two, at most half full.
    private var slots: [Int32]
    /// Per-table seed, so crafted lines cannot aim at one probe chain.
    private let seed = UInt64.random(in: 1 ... .max)

    init(capacity: Int = 64) {
        var n = 16
        while n < capacity * 2 { n *= 2 }
        slots = [Int32](repeating: -1, count: n)
    }

    var count: Int { tags.count }

    /// The id of `bytes` under `tag`, added if new.
    mutating func intern(_ bytes: UnsafeRawBufferPointer, tag: Int32 = 0) -> Int32 {
        let h = hash(bytes, tag)
        var i = slot(for: h, bytes, tag)
        if slots[i] >= 0 { return slots[i] }
        let id = Int32(tags.count)
        arena.append(contentsOf: bytes)
        ends.append(arena.count)
        tags.append(tag)
        hashes.append(h)
        slots[i] = id
        if tags.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            for e in 0..<tags.count {
                i = Int(truncatingIfNeeded: hashes[e]) & (slots.count - 1)
                while slots[i] >= 0 { i = (i + 1) & (slots.count - 1) }
                slots[i] = Int32(e)
            }
        }
        return id
    }

    mutating func intern(_ text: String, tag: Int32 = 0) -> Int32 {
        var text = text
        return text.withUTF8 { intern(UnsafeRawBufferPointer($0), tag: tag) }
    }

    /// The id of `bytes` under `tag`, if interned.
    func lookup(_ bytes: UnsafeRawBufferPointer, tag: Int32 = 0) -> Int32? {
        let i = slot(for: hash(bytes, tag), bytes, tag)
        return slots[i] >= 0 ? slots[i] : nil
    }

    func lookup(_ text: String, tag: Int32 = 0) -> Int32? {
        var text = text
        return text.withUTF8 { lookup(UnsafeRawBufferPointer($0), tag: tag) }
    }

    /// The bytes of entry `id`.
    func bytes(_ id: Int32) -> ArraySlice<UInt8> {
        let e = Int(id)
        return arena[(e == 0 ? 0 : ends[e - 1])..<ends[e]]
    }

    func string(_ id: Int32) -> String { String(decoding: bytes(id), as: UTF8.self) }

    /// The slot holding `bytes` under `tag`, or the empty slot where it would go.
    private func slot(for h: UInt64, _ bytes: UnsafeRawBufferPointer, _ tag: Int32) -> Int {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let s = slots[i]
            if s < 0 || (hashes[Int(s)] == h && tags[Int(s)] == tag && equal(Int(s), bytes)) { return i }
            i = (i + 1) & mask
        }
    }

    private func equal(_ e: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let start = e == 0 ? 0 : ends[e - 1]
        guard ends[e] - start == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            var k = 0
            while k < bytes.count {
                if a[start + k] != bytes[k] { return false }
                k += 1
            }
            return true
        }
    }

    /// FNV-1a over the tag and the bytes, finished with a multiply-xorshift so the low bits
    /// the table indexes by depend on every byte.
    private func hash(_ bytes: UnsafeRawBufferPointer, _ tag: Int32) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed ^ UInt64(UInt32(bitPattern: tag))
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        return h ^ (h >> 32)
    }
}
