import Foundation
import KansokuCore

/// The durable part of one aggregation group: its alerts and its notification-log entry.
/// Kept on disk so that a restart neither repeats a notification nor forgets a resolved
/// alert that still has to be announced.
struct PersistedGroup: Codable, Sendable, Hashable {
    var routeID: String
    var receiver: String
    var groupKey: String
    var groupLabels: [String: String]
    var alerts: [NotifyAlert]
    var entry: NotificationLogEntry?
    /// Creation time of the newest outbox record already reflected in `entry`.
    var lastRecordCreatedAt: UnixNanos
}

/// One file per group under `<dir>/groups/`, written atomically.
struct GroupStateStore: Sendable {
    let directory: String

    init(directory: String) throws {
        self.directory = directory + "/groups"
        try FileIO.makeDirectories(self.directory)
        FileIO.removeTemporaries(in: self.directory)
    }

    /// A file name for a group: a hash of route, receiver and group key.
    static func fileName(routeID: String, receiver: String, groupKey: String) -> String {
        var h = FNV1a64()
        h.combine(routeID); h.combine(byte: 0)
        h.combine(receiver); h.combine(byte: 0)
        h.combine(groupKey)
        return AlertFingerprint(h.value).description + ".json"
    }

    func save(_ group: PersistedGroup) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(group)
        let name = Self.fileName(routeID: group.routeID, receiver: group.receiver, groupKey: group.groupKey)
        try FileIO.writeAtomically(Array(data), to: directory + "/" + name, mode: 0o600, ifRenameNotDurable: .remove)
    }

    func delete(routeID: String, receiver: String, groupKey: String) throws {
        try FileIO.removeDurably(directory + "/" + Self.fileName(routeID: routeID, receiver: receiver, groupKey: groupKey))
    }

    /// Every readable group; unreadable files are reported and skipped.
    func loadAll() -> (groups: [PersistedGroup], unreadable: [String]) {
        var groups: [PersistedGroup] = [], bad: [String] = []
        for name in (try? FileIO.listDirectory(directory)) ?? [] where name.hasSuffix(".json") {
            guard let bytes = try? FileIO.readFile(directory + "/" + name),
                let g = try? JSONDecoder().decode(PersistedGroup.self, from: Data(bytes))
            else { bad.append(name); continue }
            groups.append(g)
        }
        return (groups, bad)
    }
}
