/// The valid name a mistyped one most likely meant, for "did you mean …?" hints: the same
/// name written in another case or with other separators (`scrapeInterval`,
/// `scrape-interval`), else the nearest by edit distance (a transposition counts once), if
/// it is near enough to be a typo rather than a different word.
public func closestName(to name: String, among candidates: some Sequence<String>) -> String? {
    func folded(_ s: String) -> [Character] { Array(s.lowercased().filter { $0 != "_" && $0 != "-" }) }
    let target = folded(name)
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != name {
        let other = folded(candidate)
        let d = other == target ? 0 : editDistance(target, other)
        if best.map({ d < $0.distance || (d == $0.distance && candidate < $0.name) }) ?? true { best = (candidate, d) }
    }
    guard let best else { return nil }
    let allowed = max(1, min(3, target.count / 3))
    return best.distance <= allowed ? best.name : nil
}

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions each cost one.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previous2[j - 2] + 1)
            }
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
