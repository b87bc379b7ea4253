import KansokuCore
import Testing
@testable import KansokuMetricStore

#if canImport(Glibc)
import Glibc
#endif

/// A full or failing disk under the metric WAL: every append is either acknowledged and then
/// stored exactly once (also after a kill and replay), or refused and never queryable; the WAL
/// recovers by itself when the fault goes away.
@Suite struct MetricWALFaultTests {
    typealias Batch = [(labels: Labels, t: Int64, v: Double)]

    func openFaulty(_ dir: TempDir, _ faults: DiskFaults?, segmentSize: Int = 64 << 10) throws -> MetricStore {
        var config = MetricStoreConfig(directory: dir.path, walSegmentSize: segmentSize)
        config.walFaults = faults
        return try MetricStore.open(config, logger: quietLogger)
    }

    /// 100 steady series plus one born with this batch (its series record is what a refused
    /// batch must not lose: the head already knows it when the batch is retried).
    func batch(_ k: Int, series: Int = 100, job: String = "a") -> Batch {
        let t = base + Int64(k) * 15_000
        var out: Batch = (0..<series).map { (labels(["__name__": "m", "job": job, "i": String($0)]), t, Double(k * 1000 + $0)) }
        out.append((labels(["__name__": "born", "job": job, "k": String(k)]), t, Double(k)))
        return out
    }

    /// Every stored sample, keyed by series and timestamp; counts repeats.
    func stored(_ store: MetricStore) -> (samples: [String: Double], duplicates: Int) {
        var out: [String: Double] = [:]
        var duplicates = 0
        for s in store.select(matchers: [matcher("__name__", .regexMatch, "m|born")], from: .min, through: .max) {
            for p in s.samples {
                let key = "\(s.labels)@\(p.t)"
                if out.updateValue(p.v, forKey: key) != nil { duplicates += 1 }
            }
        }
        return (out, duplicates)
    }

    func expected(_ batches: [Batch]) -> [String: Double] {
        var out: [String: Double] = [:]
        for b in batches { for s in b { out["\(s.labels)@\(s.t)"] = s.v } }
        return out
    }

    func segmentSizes(_ dir: TempDir) throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for name in try FileIO.listDirectory(dir.path + "/wal") where name.count == 8 { out[name] = (try? FileIO.fileSize(path: dir.path + "/wal/" + name)) ?? 0 }
        return out
    }

    @Test func refusedAppendsAreNeverStoredAndRetriesAreStoredOnce() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let faults = DiskFaults()
        let store = try openFaulty(dir, faults)
        var attempted = 0, acknowledged: [Batch] = [], refused: [Int] = []
        var refusedErrors: [MetricStoreError] = []
        for k in 0..<120 {
            // 40–59: the disk is full; 60–79: fsync reports an I/O error.
            faults.failWrites(errno: (40..<60).contains(k) ? ENOSPC : nil)
            faults.failSyncs(errno: (60..<80).contains(k) ? EIO : nil)
            if k == 80 {
                // Space is back: the refused batches are retried, oldest first, before going on.
                for r in refused {
                    attempted += 1
                    let result = try await store.append(batch(r))
                    #expect(result.appended == 101 && result.rejected == 0)
                    acknowledged.append(batch(r))
                }
            }
            let sizesBefore = try segmentSizes(dir)
            attempted += 1
            do {
                let result = try await store.append(batch(k))
                #expect(result.appended == 101 && result.rejected == 0)
                acknowledged.append(batch(k))
            } catch {
                refused.append(k)
                refusedErrors.append(error)
                // Nothing of a refused batch is queryable, and the segment is cut back.
                let t = base + Int64(k) * 15_000
                #expect(store.select(matchers: [matcher("__name__", .regexMatch, "m|born")], from: t, through: t).isEmpty)
                #expect(try segmentSizes(dir) == sizesBefore)
            }
        }
        #expect(refused == Array(40..<80))
        #expect(refusedErrors.allSatisfy { if case .io(let f) = $0 { (f.operation == "write" && f.errno == ENOSPC) || (f.operation == "fsync" && f.errno == EIO) } else { false } })
        #expect(refusedErrors.filter { if case .io(let f) = $0, f.operation == "write" { true } else { false } }.count == 20)

        let want = expected(acknowledged)
        let live = stored(store)
        let lost = want.keys.filter { live.samples[$0] != want[$0] }.count
        let extra = live.samples.count - want.count
        #expect(live.samples.count == 120 * 101 && live.duplicates == 0 && lost == 0 && extra == 0)
        let st = store.stats()
        #expect(st.walFailedBatches == 40 && st.appendsRefused == 40 && st.samplesAppended == 120 * 101)

        // Kill (no close): replay brings back exactly the acknowledged samples.
        let again = try openFaulty(dir, nil)
        let replayed = stored(again)
        let lostAfter = want.keys.filter { replayed.samples[$0] != want[$0] }.count
        #expect(replayed.samples.count == 120 * 101 && replayed.duplicates == 0 && lostAfter == 0)
        #expect(again.stats().walCorruptions == 0)
        print("METRIC WAL FAULTS: \(attempted) appends attempted, \(acknowledged.count) acknowledged, \(refused.count) refused (then retried); "
              + "\(live.samples.count) samples stored, \(live.duplicates) duplicated, \(lost) lost; "
              + "after kill and replay: \(replayed.samples.count) samples, \(replayed.duplicates) duplicated, \(lostAfter) lost")
        try await again.close()
        try await store.close()
    }

    @Test func concurrentAppendersInAFailingGroupCommitAreAllRefused() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let faults = DiskFaults()
        let store = try openFaulty(dir, faults)
        let jobs = (0..<8).map { "job\($0)" }

        /// Each job appends batches `ks` in order; returns (acknowledged, refused) batches.
        func phase(_ ks: Range<Int>) async -> [(job: String, k: Int, ok: Bool)] {
            await withTaskGroup(of: [(job: String, k: Int, ok: Bool)].self) { group in
                for job in jobs {
                    group.addTask {
                        var out: [(job: String, k: Int, ok: Bool)] = []
                        for k in ks {
                            do {
                                _ = try await store.append(batch(k, series: 50, job: job))
                                out.append((job, k, true))
                            } catch { out.append((job, k, false)) }
                        }
                        return out
                    }
                }
                var all: [(job: String, k: Int, ok: Bool)] = []
                for await r in group { all += r }
                return all
            }
        }

        let first = await phase(0..<5)
        faults.failSyncs(errno: EIO)
        let failing = await phase(5..<10)
        faults.failSyncs(errno: nil)
        let retried = await phase(5..<10)
        let last = await phase(10..<15)
        let outcomes = first + failing + retried + last
        let acknowledged = outcomes.filter(\.ok)
        #expect(first.allSatisfy(\.ok) && retried.allSatisfy(\.ok) && last.allSatisfy(\.ok))
        #expect(failing.allSatisfy { !$0.ok })

        let want = expected(acknowledged.map { batch($0.k, series: 50, job: $0.job) })
        let live = stored(store)
        let lost = want.keys.filter { live.samples[$0] != want[$0] }.count
        #expect(live.samples.count == 8 * 15 * 51 && live.duplicates == 0 && lost == 0)
        let again = try openFaulty(dir, nil)
        let replayed = stored(again)
        let lostAfter = want.keys.filter { replayed.samples[$0] != want[$0] }.count
        #expect(replayed.samples.count == 8 * 15 * 51 && replayed.duplicates == 0 && lostAfter == 0)
        print("METRIC WAL FAULTS (8 concurrent appenders): \(outcomes.count) appends attempted, \(acknowledged.count) acknowledged, "
              + "\(outcomes.count - acknowledged.count) refused; \(live.samples.count) samples stored, \(live.duplicates) duplicated, "
              + "\(lost) lost; after kill and replay \(replayed.samples.count), \(lostAfter) lost")
        try await again.close()
        try await store.close()
    }

    @Test func refusedBatchAcrossASegmentRollLeavesEveryEarlierRecord() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let faults = DiskFaults()
        // Small segments: batches roll segments often, so a refused batch may be the first of one.
        let store = try openFaulty(dir, faults, segmentSize: 1 << 10)
        var acknowledged: [Batch] = []
        var refused = 0
        for k in 0..<60 {
            faults.failWrites(errno: k % 3 == 1 ? ENOSPC : nil)
            do {
                _ = try await store.append(batch(k, series: 20))
                acknowledged.append(batch(k, series: 20))
            } catch { refused += 1 }
        }
        #expect(refused == 20)
        #expect(try segmentSizes(dir).count > 10)
        // Kill, then tear the last record of the newest segment: every record before it stays.
        let walDir = dir.path + "/wal"
        let newest = try FileIO.listDirectory(walDir).filter { $0.count == 8 }.last!
        // The last batch was acknowledged, so the newest segment holds at least its records.
        let size = Int((try? FileIO.fileSize(path: walDir + "/" + newest)) ?? 0)
        #expect(size > 3)
        try FileIO.truncate(walDir + "/" + newest, to: Int64(size - 3))
        let again = try openFaulty(dir, nil, segmentSize: 1 << 10)
        let replayed = stored(again)
        let want = expected(Array(acknowledged.dropLast()))
        let lost = want.keys.filter { replayed.samples[$0] != want[$0] }.count
        #expect(replayed.samples.count == want.count && replayed.duplicates == 0 && lost == 0)
        print("METRIC WAL FAULTS (rolling segments, torn tail): 60 appends attempted, \(acknowledged.count) acknowledged, \(refused) refused; "
              + "\(replayed.samples.count) samples replayed (last record torn), \(replayed.duplicates) duplicated, \(lost) lost")
        try await again.close()
        try await store.close()
    }
}
