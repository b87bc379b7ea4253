public import KansokuCore

/// Whether an alert is active, in Alertmanager's words.
public enum NotifyAlertStatus: String, Sendable, Hashable, Codable {
    case firing
    case resolved
}

/// An alert state change handed to notification delivery: the fields Alertmanager keeps
/// per alert. Send the same alert again (same labels) to refresh it or to resolve it.
public struct NotifyAlert: Sendable, Hashable {
    /// The identity of the alert.
    public var labels: Labels
    /// Rendered annotations (`summary`, `description`, `runbook_url`, ...).
    public var annotations: [String: String]
    /// When the alert started firing.
    public var startsAt: UnixNanos
    /// For a resolved alert the time it resolved. For a firing alert, optionally the time
    /// after which it counts as resolved unless it is sent again (Prometheus sends
    /// `now + 4 × resend delay`); nil means it fires until resolved explicitly.
    public var endsAt: UnixNanos?
    /// Link back to the expression that produced the alert.
    public var generatorURL: String
    public var status: NotifyAlertStatus

    public init(
        labels: Labels, annotations: [String: String] = [:], startsAt: UnixNanos,
        endsAt: UnixNanos? = nil, generatorURL: String = "", status: NotifyAlertStatus = .firing
    ) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
        self.status = status
    }

    /// Alertmanager's fingerprint of the label set (FNV-1a 64 over sorted names and values,
    /// each followed by 0xFF), the number behind `fingerprint` in webhook bodies.
    public var fingerprint: AlertFingerprint { AlertFingerprint(labels.stableHash) }

    /// Whether the alert counts as resolved at `now`: explicitly, or because its `endsAt`
    /// has passed without a refresh (Alertmanager's rule).
    public func isResolved(at now: UnixNanos) -> Bool {
        if status == .resolved { return true }
        if let endsAt { return endsAt <= now }
        return false
    }
}

/// A 64-bit alert fingerprint, printed as 16 lowercase hex digits like Alertmanager's.
public struct AlertFingerprint: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    public var description: String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func < (a: AlertFingerprint, b: AlertFingerprint) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

extension NotifyAlert: Codable {
    enum CodingKeys: String, CodingKey {
        case labels, annotations, startsAt, endsAt, generatorURL, status
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        labels = Labels(try c.decode([String: String].self, forKey: .labels))
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
        startsAt = try c.decode(Int64.self, forKey: .startsAt)
        endsAt = try c.decodeIfPresent(Int64.self, forKey: .endsAt)
        generatorURL = try c.decodeIfPresent(String.self, forKey: .generatorURL) ?? ""
        status = try c.decode(NotifyAlertStatus.self, forKey: .status)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        var dict: [String: String] = [:]
        for l in labels { dict[l.name] = l.value }
        try c.encode(dict, forKey: .labels)
        try c.encode(annotations, forKey: .annotations)
        try c.encode(startsAt, forKey: .startsAt)
        try c.encodeIfPresent(endsAt, forKey: .endsAt)
        try c.encode(generatorURL, forKey: .generatorURL)
        try c.encode(status, forKey: .status)
    }
}

extension Labels {
    /// Alertmanager's `LabelSet.Before`: compares the sorted (name, value) pairs in turn;
    /// a shorter set that is a prefix of the other sorts first.
    func alertmanagerBefore(_ other: Labels) -> Bool {
        for i in 0..<Swift.min(count, other.count) {
            let a = self[i], b = other[i]
            if a.name != b.name { return a.name < b.name }
            if a.value != b.value { return a.value < b.value }
        }
        return count < other.count
    }
}

extension Array where Element == NotifyAlert {
    /// Orders alerts as Alertmanager's `AlertSlice` does: by `job`, then `instance` (alerts
    /// with the label before those without), then the whole label set.
    func sortedAlertmanagerStyle() -> [NotifyAlert] {
        sorted { a, b in
            for key in ["job", "instance"] {
                let av = a.labels[key], bv = b.labels[key]
                switch (av, bv) {
                case (nil, nil): continue
                case (nil, _): return false
                case (_, nil): return true
                case let (x?, y?): if x != y { return x < y }
                }
            }
            return a.labels.alertmanagerBefore(b.labels)
        }
    }
}
