/// Equal strings sharing one buffer: the pool hands back the instance it holds of a string
/// equal to the one given. Label strings repeat across series (metric names, paths, pod
/// names), and a series' labels are held by the scrape cache and the head at once.
public struct StringPool: Sendable {
    private var strings: Set<String> = []

    public init() {}

    /// Distinct strings held.
    public var count: Int { strings.count }

    /// The pooled instance equal to `s` (`s` itself the first time). Strings of 15 UTF-8
    /// bytes or fewer live inside the `String` value, with nothing to share: they come back
    /// as they are, unpooled.
    public mutating func intern(_ s: String) -> String {
        if s.utf8.count <= 15 { return s }
        return strings.insert(s).memberAfterInsert
    }

    /// Starts over from the strings of `live` once the pool holds far more than they can use
    /// (8 per label set, beyond a floor), so strings of label sets that are gone are freed.
    /// The live sets' strings are the instances kept, so they stay shared.
    public mutating func prune(keeping live: some Collection<Labels>) {
        guard strings.count > 8 * live.count + 1024 else { return }
        var fresh = StringPool()
        for labels in live { _ = fresh.intern(labels) }
        self = fresh
    }

    /// `labels` with every string pooled. When its strings already are the pooled instances,
    /// `labels` itself comes back, so its array is shared rather than copied.
    public mutating func intern(_ labels: Labels) -> Labels {
        var out: [Label]?
        for (i, l) in labels.enumerated() {
            let name = intern(l.name), value = intern(l.value)
            if out == nil && (!name.sharesStorage(with: l.name) || !value.sharesStorage(with: l.value)) {
                out = Array(labels.prefix(i))
                out!.reserveCapacity(labels.count)
            }
            out?.append(Label(name: name, value: value))
        }
        return out.map(Labels.init(sorted:)) ?? labels
    }
}

extension String {
    /// Whether both are the same buffer (or both short enough to live inline, and equal).
    func sharesStorage(with other: String) -> Bool {
        if utf8.count <= 15 { return self == other }
        let a = utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) }
        let b = other.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) }
        return a != nil && a! == b
    }
}
