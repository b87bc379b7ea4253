import Synchronization

/// Makes outbox writes or fsyncs fail on demand with a chosen errno, as a full (ENOSPC) or
/// failing (EIO) disk would, so tests can check that a notification whose record did not
/// reach the disk is reported, not counted as accepted, and produced again once the disk
/// works. Off (nil) in every real configuration.
public final class OutboxFaults: Sendable {
    private struct Rules {
        var writeErrno: Int32?
        var syncErrno: Int32?
        var writes = 0
        var syncs = 0
    }

    private let rules = Mutex(Rules())

    public init() {}

    /// From now on every outbox record write fails with `errno` (nil: writes work again).
    public func failWrites(errno: Int32?) { rules.withLock { $0.writeErrno = errno } }

    /// From now on every outbox fsync (file or directory) fails with `errno` (nil: they work again).
    public func failSyncs(errno: Int32?) { rules.withLock { $0.syncErrno = errno } }

    /// Writes and fsyncs attempted so far.
    public var attempts: (writes: Int, syncs: Int) { rules.withLock { ($0.writes, $0.syncs) } }

    func beforeWrite(path: String) throws(DurableFiles.Failure) {
        let e = rules.withLock { r -> Int32? in
            r.writes += 1
            return r.writeErrno
        }
        if let e { throw .posix("write", path: path, errno: e) }
    }

    func beforeSync(path: String) throws(DurableFiles.Failure) {
        let e = rules.withLock { r -> Int32? in
            r.syncs += 1
            return r.syncErrno
        }
        if let e { throw .posix("fsync", path: path, errno: e) }
    }
}
