public import KansokuCore

/// Runs a `Pipeline` over lines, one at a time, reusing its buffers: extracted values live in
/// one arena that is cleared (not freed) per line, and the label set is rebuilt only when a
/// promoted value differs from the previous line's. Not thread-safe; one per tailed file.
public struct PipelineRunner {
    /// What the pipeline decided for a line.
    public enum Verdict: Equatable, Sendable {
        case keep
        case drop(reason: String)
    }

    let pipeline: Pipeline
    /// Labels every line starts with (target labels and `filename`).
    public let baseLabels: Labels
    /// The labels of the last kept line.
    public private(set) var labels: Labels
    /// The entry time the pipeline chose for the last line (the read time when no stage set one).
    public private(set) var timestamp: Int64 = 0
    /// Whether a `timestamp` stage set `timestamp` from the line.
    public private(set) var timestampFromLine = false
    /// When an `output` stage replaced the line: its new bytes.
    public private(set) var replacedLine: [UInt8]?

    var arena: [UInt8] = []
    var fields: [Range<Int>?]
    var sourceScratch: [UInt8] = []
    /// Label slot states: nil = untouched, .some(nil) = dropped, .some(bytes) = set.
    var slotValues: [[UInt8]?]
    var slotTouched: [Bool]
    var previousSlotValues: [[UInt8]?]
    var previousSlotTouched: [Bool]
    var lastParsedTimestamp: Int64?

    public init(_ pipeline: Pipeline, baseLabels: Labels) {
        self.pipeline = pipeline
        self.baseLabels = baseLabels
        self.labels = baseLabels
        fields = Array(repeating: nil, count: pipeline.fieldNames.count)
        slotValues = Array(repeating: nil, count: pipeline.labelNames.count)
        slotTouched = Array(repeating: false, count: pipeline.labelNames.count)
        previousSlotValues = slotValues
        previousSlotTouched = slotTouched
    }

    /// The value extracted under `name` by the last line, if any (for tests and debugging).
    public func extracted(_ name: String) -> String? {
        guard let i = pipeline.fieldNames.firstIndex(of: name), let r = fields[i] else { return nil }
        return String(decoding: arena[r], as: UTF8.self)
    }

    /// Runs every stage on `line`. Afterwards `labels`, `timestamp` and `replacedLine` describe
    /// the entry to store.
    public mutating func process(_ line: UnsafeRawBufferPointer, readTime: Int64, now: Int64) -> Verdict {
        timestamp = readTime
        timestampFromLine = false
        replacedLine = nil
        guard !pipeline.stages.isEmpty else { return .keep }
        arena.removeAll(keepingCapacity: true)
        for i in fields.indices { fields[i] = nil }
        for i in slotTouched.indices {
            slotTouched[i] = false
            slotValues[i] = nil
        }
        for stage in pipeline.stages {
            switch stage {
            case .regex(let re, let source, let groups):
                withInput(line, source) { input, runner in
                    guard let caps = re.captures(in: input) else { return }
                    for (g, f) in groups {
                        guard let r = caps[g] else { continue }
                        runner.setField(f, UnsafeRawBufferPointer(rebasing: input[r]))
                    }
                }
            case .json(let source, let expressions, let dropMalformed):
                var malformed = false
                withInput(line, source) { input, runner in
                    malformed = !runner.extractJSON(input, expressions)
                }
                if malformed && dropMalformed { return .drop(reason: "malformed_json") }
            case .logfmt(let source, let keys):
                withInput(line, source) { input, runner in
                    var scanner = LogfmtScanner(input)
                    // Lenient scanning never throws.
                    while let pair = try? scanner.next() {
                        let key = UnsafeRawBufferPointer(rebasing: input[pair.key])
                        for (k, f) in keys where key.elementsEqual(k) {
                            let start = runner.arena.count
                            scanner.appendValue(of: pair, to: &runner.arena)
                            runner.fields[f] = start..<runner.arena.count
                        }
                    }
                }
            case .labels(let pairs):
                for (slot, f) in pairs {
                    guard let r = fields[f], !r.isEmpty else { continue }
                    slotTouched[slot] = true
                    if let previous = previousSlotValues[slot], previous.elementsEqual(arena[r]) {
                        slotValues[slot] = previous  // shares storage: no allocation for repeated values
                    } else {
                        slotValues[slot] = Array(arena[r])
                    }
                }
            case .staticLabels(let pairs):
                for (slot, value) in pairs {
                    slotTouched[slot] = true
                    slotValues[slot] = value
                }
            case .labelDrop(let slots):
                for slot in slots {
                    slotTouched[slot] = true
                    slotValues[slot] = nil
                }
            case .timestamp(let source, let layouts, let zone, let fudge):
                var parsed: Int64?
                if let r = fields[source] {
                    arena.withUnsafeBytes { a in
                        let v = UnsafeRawBufferPointer(rebasing: a[r])
                        for layout in layouts {
                            if let t = layout.parse(v, zone: zone, now: now) {
                                parsed = t
                                break
                            }
                        }
                    }
                }
                if let parsed {
                    timestamp = parsed
                    timestampFromLine = true
                    lastParsedTimestamp = parsed
                } else if fudge, let last = lastParsedTimestamp {
                    lastParsedTimestamp = last + 1
                    timestamp = last + 1
                    timestampFromLine = true
                }
            case .drop(let d):
                if shouldDrop(d, line: line, now: now) { return .drop(reason: d.reason) }
            case .output(let source):
                if let r = fields[source] { replacedLine = Array(arena[r]) }
            }
        }
        updateLabels()
        return .keep
    }

    /// Calls `body` with the stage's input: the line, or a copy of an extracted field (copied
    /// because extraction appends to the arena the field lives in).
    private mutating func withInput(_ line: UnsafeRawBufferPointer, _ source: Int?,
                                    _ body: (UnsafeRawBufferPointer, inout PipelineRunner) -> Void) {
        guard let source else {
            body(line, &self)
            return
        }
        guard let r = fields[source] else { return }
        sourceScratch.removeAll(keepingCapacity: true)
        sourceScratch.append(contentsOf: arena[r])
        let scratch = sourceScratch
        scratch.withUnsafeBytes { body($0, &self) }
    }

    mutating func setField(_ f: Int, _ value: UnsafeRawBufferPointer) {
        let start = arena.count
        arena.append(contentsOf: value)
        fields[f] = start..<arena.count
    }

    /// Extracts each path; false when the input is not a JSON object.
    private mutating func extractJSON(_ input: UnsafeRawBufferPointer, _ expressions: [(path: JSONPath, field: Int)],
) -> Bool {
        var probe = JSONScanner(input)
        guard (try? probe.peekKind()) == .object else { return false }
        for (path, f) in expressions {
            var s = JSONScanner(input)
            guard let found = try? path.find(in: &s) else {
                var whole = JSONScanner(input)
                if (try? whole.skipValue()) == nil { return false }
                continue
            }
            let (range, kind) = found
            let raw = UnsafeRawBufferPointer(rebasing: input[range])
            switch kind {
            case .string:
                let start = arena.count
                var inner = JSONScanner(raw)
                if (try? inner.readString(into: &arena)) != nil { fields[f] = start..<arena.count }
            case .null:
                continue  // null: not extracted
            default:
                setField(f, raw)
            }
        }
        return true
    }

    private func shouldDrop(_ d: Pipeline.Drop, line: UnsafeRawBufferPointer, now: Int64) -> Bool {
        if let olderThan = d.olderThan, !(timestamp < now - olderThan) { return false }
        if let longerThan = d.longerThan, !((replacedLine?.count ?? line.count) > longerThan) { return false }
        guard d.regex != nil || d.value != nil || d.sources != nil else { return true }
        var joined: [UInt8] = []
        if let sources = d.sources {
            for (k, f) in sources.enumerated() {
                guard let r = fields[f] else { return false }
                if k > 0 { joined.append(contentsOf: d.separator) }
                joined.append(contentsOf: arena[r])
            }
            if let value = d.value, joined != value { return false }
            if let re = d.regex, !re.matches(joined) { return false }
            return true
        }
        if let re = d.regex, !re.matches(line) { return false }
        return true
    }

    /// Rebuilds `labels` only when some slot changed since the previous line.
    private mutating func updateLabels() {
        if slotTouched == previousSlotTouched && slotValues == previousSlotValues { return }
        previousSlotTouched = slotTouched
        previousSlotValues = slotValues
        var result = baseLabels.labels
        for (slot, name) in pipeline.labelNames.enumerated() where slotTouched[slot] {
            result.removeAll { $0.name == name }
            if let v = slotValues[slot], !v.isEmpty {
                result.append(Label(name: name, value: String(decoding: v, as: UTF8.self)))
            }
        }
        labels = Labels(result)
    }
}
