/// The store's streams by id: values in one array of slots, with a small id → slot map.
///
/// A `Dictionary<UInt64, StreamState>` keeps its ~270-byte values inline in a hash table that
/// is at most three quarters full and doubles when it fills: at 100,000 streams it held
/// 262,144 buckets, about 730 bytes per stream. Slots grow as an array does and only the
/// 16-byte id → slot entries pay for the hash table's slack. Freed slots are reused.
struct StreamTable: Sendable {
    private var slotOf: [UInt64: Int] = [:]
    private var slots: [StreamState?] = []
    private var free: [Int] = []

    var count: Int { slotOf.count }

    /// The ids, in no particular order (a copy: the table may change while they are visited).
    var keys: [UInt64] { Array(slotOf.keys) }

    /// Every stream, in slot order.
    var values: some Sequence<StreamState> { slots.lazy.compactMap { $0 } }

    subscript(id: UInt64) -> StreamState? {
        _read {
            if let i = slotOf[id] { yield slots[i] } else { yield nil }
        }
        _modify {
            if let i = slotOf[id] {
                yield &slots[i]
                if slots[i] == nil { release(id, slot: i) }
            } else {
                var added: StreamState?
                yield &added
                if let added { insert(id, added) }
            }
        }
    }

    @discardableResult
    mutating func removeValue(forKey id: UInt64) -> StreamState? {
        guard let i = slotOf[id] else { return nil }
        let v = slots[i].take()
        release(id, slot: i)
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

    private mutating func release(_ id: UInt64, slot i: Int) {
        slotOf[id] = nil
        free.append(i)
    }
}
