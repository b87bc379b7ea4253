import KansokuCore

/// The store's streams by id: values in one array of slots, with a small id → slot map.
///
/// A `Dictionary<UInt64, StreamState>` keeps its ~270-byte values inline in a hash table that
/// is at most three quarters full and doubles when it fills: at 100,000 streams it held
/// 262,144 buckets, about 730 bytes per stream. Slots grow as an array does and only the
/// 16-byte id → slot entries pay for the hash table's slack. Freed slots are reused.
struct StreamTable: Sendable {
    private var slotOf: [UInt64: Int] = [:]
    /// Streams; a free slot holds `vacant`.
    private var slots: [StreamState] = []
    private var free: [Int] = []

    private static let vacant = StreamState(id: 0, tenant: "", labels: Labels(), chunk: OpenChunk(generation: 0, createdAt: 0))

    var count: Int { slotOf.count }

    /// The ids, in no particular order (a copy: the table may change while they are visited).
    var keys: [UInt64] { Array(slotOf.keys) }

    /// Every stream.
    var values: some Sequence<StreamState> { slotOf.values.lazy.map { slots[$0] } }

    /// The slot of stream `id`: `self[slot:]` then reads its fields without copying the rest.
    func slot(of id: UInt64) -> Int? { slotOf[id] }

    subscript(slot i: Int) -> StreamState {
        _read { yield slots[i] }
    }

    subscript(id: UInt64) -> StreamState? {
        get { slotOf[id].map { slots[$0] } }
        _modify {
            var value: StreamState? = removeValue(forKey: id)
            yield &value
            if let value { insert(id, value) }
        }
    }

    @discardableResult
    mutating func removeValue(forKey id: UInt64) -> StreamState? {
        guard let i = slotOf.removeValue(forKey: id) else { return nil }
        let v = slots[i]
        slots[i] = Self.vacant
        free.append(i)
        return v
    }

    private mutating func insert(_ id: UInt64, _ value: StreamState) {
        if let i = free.popLast() {
            slots[i] = value
            slotOf[id] = i
        } else {
            slotOf[id] = slots.count
            slots.append(value)
        }
    }
}
