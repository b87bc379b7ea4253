import KansokuCore

/// Sorted series-id lists and the set operations matcher evaluation needs.
enum SortedIDs {
    static func intersect(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(min(a.count, b.count))
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { i += 1 } else if a[i] > b[j] { j += 1 } else {
                out.append(a[i])
                i += 1
                j += 1
            }
        }
        return out
    }

    static func union(_ lists: [[UInt64]]) -> [UInt64] {
        if lists.isEmpty { return [] }
        if lists.count == 1 { return lists[0] }
        var all = lists.flatMap { $0 }
        all.sort()
        var out: [UInt64] = []
        out.reserveCapacity(all.count)
        for x in all where out.last != x { out.append(x) }
        return out
    }

    static func subtract(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        if b.isEmpty { return a }
        var out: [UInt64] = []
        out.reserveCapacity(a.count)
        var j = 0
        for x in a {
            while j < b.count && b[j] < x { j += 1 }
            if j < b.count && b[j] == x { continue }
            out.append(x)
        }
        return out
    }
}

/// What matcher evaluation needs from an index (head or block).
protocol PostingsSource {
    /// Every value `name` takes (any order).
    func values(of name: String) -> [String]
    /// Sorted ids of series with `name="value"`.
    func postings(_ name: String, _ value: String) -> [UInt64]
    /// Sorted ids of every series.
    func allPostings() -> [UInt64]
}

extension PostingsSource {
    /// Series ids selected by all `matchers`, sorted, with Prometheus's semantics: a matcher
    /// that accepts "" also selects series without the label; `{}` alone selects nothing
    /// unless another matcher narrows it.
    func select(_ matchers: [LabelMatcher]) -> [UInt64] {
        var its: [[UInt64]] = []
        var nots: [[UInt64]] = []
        for m in matchers {
            if m.matchesEmpty {
                // Series lacking the label match; subtract those whose value fails the matcher.
                switch m.type {
                case .equal:  // name="" : every series without the label
                    nots.append(SortedIDs.union(values(of: m.name).map { postings(m.name, $0) }))
                case .notEqual:
                    nots.append(postings(m.name, m.value))
                case .regexMatch, .regexNoMatch:
                    let failing = values(of: m.name).filter { !m.matches($0) }
                    nots.append(SortedIDs.union(failing.map { postings(m.name, $0) }))
                }
            } else {
                switch m.type {
                case .equal:
                    its.append(postings(m.name, m.value))
                case .regexMatch where m.regex?.literal != nil:
                    its.append(postings(m.name, String(decoding: m.regex!.literal!, as: UTF8.self)))
                default:
                    let matching = values(of: m.name).filter { m.matches($0) }
                    its.append(SortedIDs.union(matching.map { postings(m.name, $0) }))
                }
            }
            if let last = its.last, last.isEmpty { return [] }
        }
        var result: [UInt64]
        if its.isEmpty {
            if nots.isEmpty { return [] }
            result = allPostings()
        } else {
            its.sort { $0.count < $1.count }
            result = its[0]
            for l in its.dropFirst() {
                result = SortedIDs.intersect(result, l)
                if result.isEmpty { return [] }
            }
        }
        for n in nots { result = SortedIDs.subtract(result, n) }
        return result
    }
}

/// The head's inverted index: label name → value → series refs. Lists are appended to as
/// series are created and sorted lazily (refs of reused slots can be smaller), before reads.
struct MemPostings: PostingsSource, Sendable {
    private(set) var byName: [String: [String: [UInt64]]] = [:]
    private(set) var all: [UInt64] = []
    private var unsorted: [String: Set<String>] = [:]
    private var allUnsorted = false

    mutating func add(_ ref: UInt64, _ labels: Labels) {
        if let last = all.last, last > ref { allUnsorted = true }
        all.append(ref)
        for l in labels {
            byName[l.name, default: [:]][l.value, default: []].append(ref)
            let list = byName[l.name]![l.value]!
            if list.count > 1 && list[list.count - 2] > ref { unsorted[l.name, default: []].insert(l.value) }
        }
    }

    /// Sorts the lists appended to out of order; call before reading.
    mutating func ensureSorted() {
        if allUnsorted {
            all.sort()
            allUnsorted = false
        }
        for (name, values) in unsorted {
            for v in values { byName[name]?[v]?.sort() }
        }
        unsorted.removeAll()
    }

    /// Removes garbage-collected series.
    mutating func remove(_ removed: [(ref: UInt64, labels: Labels)]) {
        guard !removed.isEmpty else { return }
        ensureSorted()
        let refs = removed.map(\.ref).sorted()
        all = SortedIDs.subtract(all, refs)
        var touched: [String: Set<String>] = [:]
        for r in removed { for l in r.labels { touched[l.name, default: []].insert(l.value) } }
        for (name, values) in touched {
            for value in values {
                guard let list = byName[name]?[value] else { continue }
                let left = SortedIDs.subtract(list, refs)
                if left.isEmpty {
                    byName[name]![value] = nil
                    if byName[name]!.isEmpty { byName[name] = nil }
                } else {
                    byName[name]![value] = left
                }
            }
        }
    }

    func values(of name: String) -> [String] { byName[name].map { Array($0.keys) } ?? [] }
    func postings(_ name: String, _ value: String) -> [UInt64] { byName[name]?[value] ?? [] }
    func allPostings() -> [UInt64] { all }
    var names: [String] { Array(byName.keys) }
}
