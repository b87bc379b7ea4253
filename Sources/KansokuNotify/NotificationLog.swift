import KansokuCore

/// What was last notified for one aggregation group: Alertmanager's notification-log
/// entry (the fingerprints of the firing and resolved alerts it contained, and when).
struct NotificationLogEntry: Codable, Sendable, Hashable {
    var firing: Set<AlertFingerprint>
    var resolved: Set<AlertFingerprint>
    var timestamp: UnixNanos

    /// Alertmanager's `DedupStage.needsUpdate`: whether a flush with these alerts must notify.
    static func needsUpdate(
        _ entry: NotificationLogEntry?, firing: Set<AlertFingerprint>, resolved: Set<AlertFingerprint>,
        sendResolved: Bool, repeatInterval: Duration, now: UnixNanos
    ) -> Bool {
        // Never notified: only when something fires (alerts that fired and resolved within
        // group_wait are never announced).
        guard let entry else { return !firing.isEmpty }
        // A firing alert the receiver has not heard of.
        if !firing.isSubset(of: entry.firing) { return true }
        // Everything resolved: notify once if the receiver still thinks something fires
        // (regardless of send_resolved, so the log forgets the firing alerts).
        if firing.isEmpty { return !entry.firing.isEmpty }
        if sendResolved && !resolved.isSubset(of: entry.resolved) { return true }
        // Nothing changed: only after repeat_interval.
        return entry.timestamp < now - repeatInterval.nanoseconds
    }

    enum CodingKeys: String, CodingKey { case firing, resolved, timestamp }

    init(firing: Set<AlertFingerprint>, resolved: Set<AlertFingerprint>, timestamp: UnixNanos) {
        self.firing = firing
        self.resolved = resolved
        self.timestamp = timestamp
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        firing = Set(try c.decode([AlertFingerprint].self, forKey: .firing))
        resolved = Set(try c.decode([AlertFingerprint].self, forKey: .resolved))
        timestamp = try c.decode(Int64.self, forKey: .timestamp)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(firing.sorted(), forKey: .firing)
        try c.encode(resolved.sorted(), forKey: .resolved)
        try c.encode(timestamp, forKey: .timestamp)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
