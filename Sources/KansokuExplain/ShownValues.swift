/// The values as the ranking counts them: each dimension's profile (kept, bucketed,
/// normalised or left out) decided from the distinct values it takes on both sides, and every
/// interned value mapped once to the value it is counted as.
struct ShownValues {
    /// Counted values (a value itself, its bucket or its normalised form), tagged by key id.
    var values = ByteInterner(capacity: 1024)
    /// Pair id to counted value id; -1 when the pair's dimension is left out.
    var ofPair: [Int32]
    /// Pattern index to counted value id (the template's text).
    var pattern: [Int32]
    /// Each key's profile.
    var profiles: [FieldProfile]
    var skipped: [SkippedDimension] = []

    init(table: LineValues, rows: [LineValues.Rows], drain: LogPatterns, patternKey: Int32) {
        // Only values some line has count (a value a later parser stage replaced does not).
        var used = [Bool](repeating: false, count: table.pairs.count)
        for r in rows { for p in r.values { used[Int(p)] = true } }
        var byKey = [[Int32]](repeating: [], count: table.keys.count)
        for p in 0..<table.pairs.count where used[p] { byKey[Int(table.pairs.tags[p])].append(Int32(p)) }

        ofPair = [Int32](repeating: -1, count: table.pairs.count)
        profiles = [FieldProfile](repeating: .keep, count: table.keys.count)
        var values = ByteInterner(capacity: 1024)
        var skipped: [SkippedDimension] = []
        for key in byKey.indices where !byKey[key].isEmpty {
            let strings = byKey[key].map { table.pairs.string($0) }
            let profile = FieldProfile.of(strings)
            profiles[key] = profile
            if case .skip(let reason) = profile {
                skipped.append(SkippedDimension(name: table.keys.string(Int32(key)), reason: reason))
                continue
            }
            for (p, s) in zip(byKey[key], strings) {
                let v = profile.apply(s)
                ofPair[Int(p)] = values.intern(v.isEmpty ? s : v, tag: Int32(key))
            }
        }
        pattern = (0..<drain.count).map { values.intern(drain.text(of: $0), tag: patternKey) }
        self.values = values
        self.skipped = skipped.sorted { $0.name < $1.name }
    }
}
