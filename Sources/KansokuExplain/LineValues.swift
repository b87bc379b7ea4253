/// The labels and fields of many lines as interned ids: each dimension (a label or field name)
/// is a key id, each value it takes a pair id, and a line is a run of pair ids in one flat
/// array plus its Drain pattern. Strings are built only for distinct values, never per line.
struct LineValues {
    /// Dimension names; the tag is the `ExplainDimension` (`Self.tag`).
    var keys = ByteInterner()
    /// Values; the tag is the key id.
    var pairs = ByteInterner(capacity: 4096)

    /// One side of the comparison: line `i`'s pairs are `values[offsets[i] ..< offsets[i + 1]]`.
    struct Rows {
        var values: [Int32] = []
        var offsets: [Int] = [0]
        /// Each line's pattern, -1 when it fits none (a baseline line).
        var patterns: [Int32] = []
        var count: Int { patterns.count }
        func pairs(of i: Int) -> ArraySlice<Int32> { values[offsets[i]..<offsets[i + 1]] }
    }

    /// For the field being set in the current line: the line it was last set in, by which
    /// stage, and where its pair sits (so a later stage can replace it).
    private var keyLine: [Int] = []
    private var keyStage: [LineFields.Stage] = []
    private var keyAt: [Int] = []
    private var lineNumber = 0

    static func tag(_ d: ExplainDimension) -> Int32 {
        switch d {
        case .label: return 0
        case .field: return 1
        case .pattern: return 2
        }
    }

    static func dimension(_ tag: Int32) -> ExplainDimension { tag == 0 ? .label : tag == 1 ? .field : .pattern }

    /// Reads `lines`: their labels (but `ignoredLabels` and `__`-prefixed ones), their fields,
    /// and their pattern, learned from (`learn`) or matched against `drain`. Consecutive lines
    /// of one stream share its label pairs and its layout, both found once per stream.
    mutating func read(_ lines: [ExplainLine], ignoredLabels: Set<String>, fields: LineFields, drain: inout LogPatterns, learn: Bool) -> Rows {
        var rows = Rows()
        rows.patterns.reserveCapacity(lines.count)
        rows.offsets.reserveCapacity(lines.count + 1)
        var streamPairs: [Int32] = []
        var layout: LineFields.Layout?
        var json = JSONFields()
        for (i, l) in lines.enumerated() {
            if i == 0 || l.labels != lines[i - 1].labels {
                streamPairs.removeAll(keepingCapacity: true)
                for label in l.labels where !ignoredLabels.contains(label.name) && !label.name.hasPrefix("__") && !label.value.isEmpty {
                    let key = keys.intern(label.name, tag: Self.tag(.label))
                    streamPairs.append(pairs.intern(label.value, tag: key))
                }
                layout = nil
            }
            lineNumber += 1
            rows.values.append(contentsOf: streamPairs)
            var text = l.line
            let pattern = text.withUTF8 { buf in
                let bytes = UnsafeRawBufferPointer(buf)
                if layout == nil { layout = LineFields.layout(of: bytes) }
                fields.scan(bytes, layout: layout!, json: &json) { name, value, stage in set(name, value, stage, &rows.values) }
                return learn ? drain.add(bytes, timestamp: l.timestamp, index: i) : drain.match(bytes) ?? -1
            }
            rows.patterns.append(Int32(pattern))
            rows.offsets.append(rows.values.count)
        }
        return rows
    }

    /// Adds a field to the current line; a name the line has already keeps its first value
    /// within a stage and takes a later stage's.
    private mutating func set(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ stage: LineFields.Stage, _ values: inout [Int32]) {
        let key = Int(keys.intern(name, tag: Self.tag(.field)))
        let pair = pairs.intern(value, tag: Int32(key))
        while keyLine.count <= key {
            keyLine.append(0)
            keyStage.append(.pattern)
            keyAt.append(0)
        }
        if keyLine[key] == lineNumber {
            if keyStage[key] != stage {
                values[keyAt[key]] = pair
                keyStage[key] = stage
            }
            return
        }
        keyLine[key] = lineNumber
        keyStage[key] = stage
        keyAt[key] = values.count
        values.append(pair)
    }
}
