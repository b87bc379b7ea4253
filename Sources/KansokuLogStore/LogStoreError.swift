public import KansokuCore

/// Everything that can go wrong in the log store, with messages that name what and where.
public enum LogStoreError: Error, Sendable, CustomStringConvertible {
    /// The entry is older than its stream's out-of-order window allows.
    case tooOld(labels: Labels, timestamp: Int64, oldestAllowed: Int64)
    /// A stored block or record does not match its CRC32C.
    case checksumMismatch(file: String, offset: Int64)
    /// A system call failed.
    case io(FileIOError)
    /// Stored bytes are malformed (bad magic, impossible length, failed decompression).
    case corrupt(file: String, offset: Int64, reason: String)
    /// A line longer than `maxLineSize`.
    case lineTooLong(labels: Labels, timestamp: Int64, size: Int, limit: Int)
    /// A stream without labels (Loki rejects these too).
    case emptyLabels(tenant: String)
    /// The store has been closed.
    case closed
    /// The configuration cannot work.
    case invalidConfig(String)

    public var description: String {
        switch self {
        case let .tooOld(labels, ts, oldest):
            return "entry for stream \(labels) has timestamp \(TimeFormatter.rfc3339Nano(ts)) (\(ts)), "
                + "too far behind: oldest accepted timestamp is \(TimeFormatter.rfc3339Nano(oldest)) (\(oldest))"
        case let .checksumMismatch(file, offset):
            return "checksum mismatch in \(file) at offset \(offset)"
        case let .io(failure):
            return failure.description
        case let .corrupt(file, offset, reason):
            return "corrupt data in \(file) at offset \(offset): \(reason)"
        case let .lineTooLong(labels, ts, size, limit):
            return "line of \(size) bytes for stream \(labels) at \(ts) exceeds the limit of \(limit) bytes"
        case let .emptyLabels(tenant):
            return "stream of tenant \(tenant) has no labels: at least one label is required"
        case .closed:
            return "the log store is closed"
        case let .invalidConfig(why):
            return "invalid log store configuration: \(why)"
        }
    }
}
