import Synchronization

/// Makes writes or fsyncs of a durable file (a WAL, the notification outbox) fail on demand
/// with a chosen errno, as a full (ENOSPC) or failing (EIO) disk would, so tests can check that
/// what did not reach the disk is refused, never stored, and that the store takes writes again
/// once the fault goes away. Off (nil) in every real configuration.
public final class DiskFaults: Sendable {
    private struct Rules {
        var writeErrno: Int32?
        var syncErrno: Int32?
        var writes = 0
        var syncs = 0
    }

    private let rules = Mutex(Rules())

    public init() {}

    /// From now on every write fails with `errno` (nil: writes work again).
    public func failWrites(errno: Int32?) { rules.withLock { $0.writeErrno = errno } }

    /// From now on every fsync fails with `errno` (nil: fsyncs work again).
    public func failSyncs(errno: Int32?) { rules.withLock { $0.syncErrno = errno } }

    /// Writes and fsyncs attempted so far.
    public var attempts: (writes: Int, syncs: Int) { rules.withLock { ($0.writes, $0.syncs) } }

    /// Counts a write about to happen; the errno it must fail with, if any.
    public func writeFault() -> Int32? {
        rules.withLock { r in
            r.writes += 1
            return r.writeErrno
        }
    }

    /// Counts an fsync about to happen; the errno it must fail with, if any.
    public func syncFault() -> Int32? {
        rules.withLock { r in
            r.syncs += 1
            return r.syncErrno
        }
    }
}
