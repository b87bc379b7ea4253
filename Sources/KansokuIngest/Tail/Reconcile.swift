import KansokuCore
import KansokuLogStore

extension TailState {
    /// Settles every pending range (see `TailService`): rebuilds its entries from the file,
    /// appends those the store does not have, and moves the file's offset past it. Returns
    /// false when the store failed (the caller retries).
    @discardableResult
    func reconcileAll() async -> Bool {
        var ok = true
        for f in readOrder() {
            guard let pending = f.encoder?.pending() ?? saved[f.identity]?.pending else { continue }
            if await !reconcile(f, pending) { ok = false }
        }
        if ok { save() }
        return ok
    }

    private func reconcile(_ f: TailedFile, _ pending: PendingRange) async -> Bool {
        let start = f.committedOffset
        guard pending.end > start else {
            f.encoder = nil
            return true
        }
        var bytes = [UInt8](repeating: 0, count: Int(pending.end - start))
        let n = bytes.withUnsafeMutableBytes { FileIO.preadSome(f.fd, $0, at: start) }
        guard n == bytes.count else {
            logger.warning("lines of an unconfirmed batch are gone from the file (truncated); reading it from the start",
                           metadata: ["file": "\(f.labelPath)"])
            f.encoder = nil
            f.truncated()
            return true
        }
        let now = clock.wall()
        var runner = f.runner
        runner.lastParsedTimestamp = pending.fudgeTimestamp
        var encoder = RangeEncoder(runner: runner, baseTimestamp: pending.baseTimestamp)
        var batch = BatchBuilder()
        var splitter = LineSplitter()
        let tenant = service.tenant
        bytes.withUnsafeBytes { b in
            splitter.feed(b) { line, consumed in
                encoder.add(line, end: start + Int64(consumed), now: now, tenant: tenant, into: &batch)
            }
        }
        // A range may end with a line that was stored without its newline (flushed after a timeout).
        splitter.flush { line in encoder.add(line, end: pending.end, now: now, tenant: tenant, into: &batch) }
        guard encoder.checksum == pending.checksum, encoder.lines == pending.lines else {
            logger.warning("file changed under an unconfirmed batch (rewritten while stopped); reading it from the start",
                           metadata: ["file": "\(f.labelPath)"])
            f.encoder = nil
            f.truncated()
            return true
        }
        var missing: [StreamBatch] = []
        var present = 0
        do {
            for stream in batch.streams {
                let lo = stream.entries.map(\.timestamp).min()!
                let hi = stream.entries.map(\.timestamp).max()!
                let stored = try service.sink.storedEntries(tenant: tenant, labels: stream.labels, from: lo, through: hi)
                var counts: [EntryKey: Int] = [:]
                for e in stored { counts[EntryKey(e), default: 0] += 1 }
                var absent: [LogEntry] = []
                for e in stream.entries {
                    let k = EntryKey(e)
                    if let c = counts[k], c > 0 {
                        counts[k] = c - 1
                        present += 1
                    } else {
                        absent.append(e)
                    }
                }
                if !absent.isEmpty { missing.append(StreamBatch(tenant: tenant, labels: stream.labels, entries: absent)) }
            }
            if !missing.isEmpty { report(try await service.sink.append(missing)) }
        } catch {
            logger.error("reconciling an unconfirmed batch with the store failed; will retry",
                         metadata: ["file": "\(f.labelPath)", "error": "\(error)"])
            return false
        }
        let appended = missing.reduce(0) { $0 + $1.entries.count }
        service.metrics.reconciled.labels("already_stored").inc(Double(present))
        service.metrics.reconciled.labels("appended").inc(Double(appended))
        logger.info("reconciled unconfirmed batch", metadata: [
            "file": "\(f.labelPath)", "lines": "\(pending.lines)", "already_stored": "\(present)", "appended": "\(appended)"])
        if let last = encoder.lastUntimedTimestamp { lastAssigned = max(lastAssigned, last) }
        f.encoder = encoder
        f.committed()
        if f.readOffset < pending.end {
            f.readOffset = pending.end
            f.splitter.reset()
        }
        dirty = true
        return true
    }
}

/// An entry's identity for reconciliation: timestamp and line bytes.
struct EntryKey: Hashable {
    var timestamp: Int64
    var line: [UInt8]

    init(_ e: LogEntry) {
        timestamp = e.timestamp
        line = e.line
    }
}
