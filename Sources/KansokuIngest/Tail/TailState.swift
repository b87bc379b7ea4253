import Glibc
import KansokuCore
import KansokuLogStore
import Logging

/// The tail loop's mutable state: open files, the read buffer, what positions say. Lives in the
/// one task that runs the loop.
final class TailState {
    let service: TailService
    var files: [FileIdentity: TailedFile] = [:]
    /// Positions loaded at start for files not opened yet (matched again by identity).
    var saved: [FileIdentity: FilePosition] = [:]
    var buffer: [UInt8]
    var dirty = false
    /// Paths whose open failed, so the failure is reported once per cause, not every poll.
    var reportedFailures: [String: Int32] = [:]
    var nextSequence = 0
    /// The last timestamp given to an untimed line of any file.
    var lastAssigned: Int64 = 0

    var logger: Logger { service.logger }
    var clock: TailClock { service.clock }

    init(service: TailService) {
        self.service = service
        buffer = [UInt8](repeating: 0, count: service.settings.readSize)
    }

    // MARK: start, discovery

    func start() async {
        try? FileIO.makeDirectories(FileIO.parent(of: service.positions.path))
        do {
            for p in try service.positions.load() { saved[p.identity] = p }
        } catch {
            logger.error("ignoring unreadable positions file; files will be read from the start", metadata: ["error": "\(error)"])
        }
        discover()
        reopenRotatedAway()
        await reconcileAll()
        saved.removeAll()
        save()
    }

    /// Expands every glob, opens files not yet tailed and marks tailed files that no path leads
    /// to any more.
    func discover() {
        var seen: Set<FileIdentity> = []
        for (t, target) in service.targets.enumerated() {
            for pattern in target.paths {
                for path in Glob.expand(pattern) where !target.excludes(path) {
                    guard case .success(let st) = FileStatus.of(path: path) else { continue }
                    if seen.contains(st.identity) { continue }
                    seen.insert(st.identity)
                    if let f = files[st.identity] {
                        f.detached = false
                        continue
                    }
                    open(path: path, identity: st.identity, size: st.size, target: t, labelPath: nil)
                }
            }
        }
        for (id, f) in files where !seen.contains(id) && !f.detached {
            f.detached = true
            logger.info("file no longer matched by any path (rotated or deleted); reading it to its end",
                        metadata: ["file": "\(f.labelPath)"])
        }
    }

    /// A file recorded in positions but not found by the globs was probably rotated away while
    /// the server was down: look for its inode in the directory it was in and finish it.
    func reopenRotatedAway() {
        for (id, p) in saved where files[id] == nil {
            let dir = FileIO.parent(of: p.path)
            guard let t = service.targets.firstIndex(where: { t in t.paths.contains { Glob.matches($0, path: p.path) } }) else { continue }
            for (name, isDir) in Glob.entries(dir) where !isDir {
                let path = dir == "/" ? "/" + name : dir + "/" + name
                guard case .success(let st) = FileStatus.of(path: path), st.identity == id, st.isRegular else { continue }
                open(path: path, identity: id, size: st.size, target: t, labelPath: p.path)
                files[id]?.detached = true
                logger.info("resuming rotated file", metadata: ["file": "\(path)", "was": "\(p.path)"])
                break
            }
        }
    }

    private func open(path: String, identity: FileIdentity, size: Int64, target: Int, labelPath: String?) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let e = errno
            if reportedFailures[path] != e {
                reportedFailures[path] = e
                logger.warning("cannot open file; will retry", metadata: [
                    "file": "\(path)", "error": "\(FileIOError(operation: "open", path: path, errno: e))"])
            }
            return
        }
        reportedFailures[path] = nil
        // The descriptor's identity is the truth (the path may have been replaced since stat).
        guard case .success(let st) = FileStatus.of(fd: fd, path: path), st.identity == identity else {
            Glibc.close(fd)
            return
        }
        var offset: Int64 = 0
        var lastTimestamp: Int64 = 0
        var fpLength = 0
        var fp: UInt32 = 0
        var fudge: Int64?
        if let p = saved[identity] {
            if st.size < p.offset {
                logger.info("file shrank while stopped (truncated); reading it from the start", metadata: ["file": "\(path)"])
                saved[identity] = nil
            } else if p.fingerprintLength > 0, TailedFile.fingerprint(fd: fd, length: p.fingerprintLength) != p.fingerprint {
                logger.info("inode reused by a new file; reading it from the start", metadata: ["file": "\(path)"])
                saved[identity] = nil
            } else {
                offset = p.offset
                lastTimestamp = p.lastTimestamp
                fpLength = p.fingerprintLength
                fp = p.fingerprint
                fudge = p.pending?.fudgeTimestamp
            }
        }
        let t = service.targets[target]
        let name = labelPath ?? saved[identity]?.path ?? path
        var runner = PipelineRunner(t.pipeline, baseLabels: t.baseLabels(path: name))
        runner.lastParsedTimestamp = fudge
        let f = TailedFile(fd: fd, identity: identity, labelPath: name, target: target, sequence: nextSequence,
                           runner: runner, offset: offset, lastTimestamp: lastTimestamp, now: clock.monotonic())
        nextSequence += 1
        lastAssigned = max(lastAssigned, lastTimestamp)
        f.fingerprintLength = fpLength
        f.fingerprint = fp
        files[identity] = f
        updateGauges()
        dirty = true
        logger.info("tailing file", metadata: ["file": "\(path)", "offset": "\(offset)"])
    }

    // MARK: the loop

    /// Reads from every file until the batch is full or nothing is left. `full` says whether
    /// more data is probably waiting.
    func collect() -> (BatchBuilder, full: Bool) {
        var batch = BatchBuilder()
        let budget = service.settings.batchBytes
        for f in readOrder() {
            let room = budget - batch.bytes
            if room <= 0 { return (batch, true) }
            let before = f.committedOffset
            switch f.read(into: &batch, buffer: &buffer, budget: room, clock: clock,
                          partialTimeout: service.settings.partialLineTimeout, tenant: service.tenant,
                          floor: lastAssigned) {
            case .success(let n):
                service.metrics.bytes.inc(Double(n))
                if let last = f.encoder?.lastUntimedTimestamp { lastAssigned = max(lastAssigned, last) }
                if f.committedOffset < before {
                    service.metrics.truncations.inc()
                    logger.info("file truncated (copytruncate); reading it from the start", metadata: ["file": "\(f.labelPath)"])
                    dirty = true
                }
                f.lastFailure = nil
            case .failure(let failure):
                if f.lastFailure != failure {
                    f.lastFailure = failure
                    logger.warning("cannot read file; will retry", metadata: ["file": "\(f.labelPath)", "error": "\(failure)"])
                }
            }
        }
        return (batch, batch.bytes >= budget)
    }

    /// Files rotated away first (their lines are older), then by age.
    func readOrder() -> [TailedFile] {
        files.values.sorted { a, b in a.detached != b.detached ? a.detached : a.sequence < b.sequence }
    }

    /// Records the batch's ranges, stores the batch, and marks the ranges stored. On failure,
    /// retries (reconciling against the store first) until it succeeds or the task is cancelled.
    func send(_ batch: BatchBuilder) async {
        save()  // the pending ranges reach disk before the store sees the lines
        var delay = service.settings.retryDelay
        do {
            let result = try await service.sink.append(batch.streams)
            report(result)
            commitAll()
            return
        } catch {
            service.metrics.appendFailures.inc()
            logger.error("storing tailed lines failed; will retry", metadata: ["error": "\(error)"])
        }
        while true {
            try? await Task.sleep(nanoseconds: UInt64(delay))
            delay = min(delay * 2, 30_000_000_000)
            if await reconcileAll() { return }
            if Task.isCancelled { return }
        }
    }

    private func commitAll() {
        for f in files.values {
            guard let e = f.encoder else { continue }
            service.metrics.lines.inc(Double(e.lines))
            for (reason, n) in e.dropped { service.metrics.dropped.labels(reason).inc(Double(n)) }
            f.committed()
        }
        dirty = true
    }

    func report(_ result: AppendResult) {
        guard !result.rejected.isEmpty else { return }
        service.metrics.rejected.inc(Double(result.rejected.count))
        let first = result.rejected[0]
        logger.warning("store rejected tailed lines", metadata: [
            "rejected": "\(result.rejected.count)", "accepted": "\(result.accepted)", "first_reason": "\(first.reason)"])
    }

    func updateGauges() { service.metrics.files.set(Double(files.count)) }

    func saveIfDirty() {
        if dirty { save() }
    }

    func save() {
        for f in files.values { f.updateFingerprint() }
        var all = files.values.map { $0.position() }
        // Positions of files not open (yet) are kept until start-up is over.
        for (id, p) in saved where files[id] == nil { all.append(p) }
        all.sort { $0.path < $1.path }
        do throws(FileIOError) { try service.positions.save(all) } catch {
            logger.error("cannot save positions", metadata: ["error": "\(error)"])
            return
        }
        dirty = false
    }

    /// Closes rotated-away or deleted files that have been read to the end and stored.
    func closeDrained() {
        var closed = false
        let quiet = service.settings.rescanInterval
        for (id, f) in files where f.detached && f.isIdle && clock.monotonic() - f.lastDataAt >= quiet {
            guard case .success(let st) = FileStatus.of(fd: f.fd, path: f.labelPath), st.size <= f.readOffset else { continue }
            f.close()
            files[id] = nil
            updateGauges()
            closed = true
            logger.info("finished rotated file", metadata: ["file": "\(f.labelPath)"])
        }
        if closed { save() }
    }

    func shutdown() async {
        save()
        for f in files.values { f.close() }
        files.removeAll()
    }
}
