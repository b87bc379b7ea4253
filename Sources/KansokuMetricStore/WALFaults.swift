import Synchronization

/// Makes metric WAL writes or fsyncs fail on demand with a chosen errno, as a full (ENOSPC)
/// or failing (EIO) disk would, so tests can check that a refused append is never stored and
/// that the store recovers when the fault goes away. Off (nil) in every real configuration.
public final class MetricWALFaults: Sendable {
    private struct Rules {
        var writeErrno: Int32?
        var syncErrno: Int32?
        var writes = 0
        var syncs = 0
    }

    private let rules = Mutex(Rules())

    public init() {}

    /// From now on every WAL write fails with `errno` (nil: writes work again).
    public func failWrites(errno: Int32?) { rules.withLock { $0.writeErrno = errno } }

    /// From now on every WAL fsync fails with `errno` (nil: fsyncs work again).
    public func failSyncs(errno: Int32?) { rules.withLock { $0.syncErrno = errno } }

    /// Writes and fsyncs attempted so far.
    public var attempts: (writes: Int, syncs: Int) { rules.withLock { ($0.writes, $0.syncs) } }

    func beforeWrite(path: String) throws(MetricStoreError) {
        let e = rules.withLock { r -> Int32? in
            r.writes += 1
            return r.writeErrno
        }
        if let e { throw .io(path: path, operation: "write", errno: e) }
    }

    func beforeSync(path: String) throws(MetricStoreError) {
        let e = rules.withLock { r -> Int32? in
            r.syncs += 1
            return r.syncErrno
        }
        if let e { throw .io(path: path, operation: "fsync", errno: e) }
    }
}
