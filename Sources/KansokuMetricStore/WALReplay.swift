import KansokuCore
import Logging

/// Reading the WAL back: the latest checkpoint, then every later segment in order. A torn
/// frame at the end of the last segment (a crash mid-write) is cut off; corruption earlier
/// truncates there and drops the segments after it, as Prometheus's repair does.
enum WALReplay {
    struct Layout {
        var checkpoint: (index: Int, path: String)?
        var segments: [Int]
    }

    static func checkpointName(_ i: Int) -> String { "checkpoint." + WAL.segmentName(i) }

    /// Finds the newest complete checkpoint and the segments after it; deletes leftovers.
    static func layout(_ dir: String) throws(MetricStoreError) -> Layout {
        let names: [String]
        do throws(FileIOError) {
            try FileIO.makeDirectories(dir)
            names = try FileIO.listDirectory(dir)
        } catch { throw .io(error) }
        var checkpoints: [Int] = []
        var segments: [Int] = []
        for name in names {
            if name.hasPrefix("checkpoint.") {
                if name.hasSuffix(".tmp") {
                    try? FileIO.removeTree(dir + "/" + name)
                } else if let i = Int(name.dropFirst("checkpoint.".count)) {
                    checkpoints.append(i)
                }
            } else if name.count == 8, let i = Int(name) {
                segments.append(i)
            }
        }
        checkpoints.sort()
        segments.sort()
        var out = Layout(checkpoint: nil, segments: segments)
        if let last = checkpoints.last {
            out.checkpoint = (last, dir + "/" + checkpointName(last))
            for c in checkpoints.dropLast() { try? FileIO.removeTree(dir + "/" + checkpointName(c)) }
            for s in segments where s <= last { try? FileIO.removeTree(dir + "/" + WAL.segmentName(s)) }
            out.segments = segments.filter { $0 > last }
        }
        return out
    }

    /// Visits every record; returns the number of the next segment to write and how many
    /// corruptions were repaired.
    static func replay(
        _ dir: String, logger: Logger,
        _ visit: (WALRecord.Decoded) -> Void
    ) throws(MetricStoreError) -> (nextSegment: Int, corruptions: Int) {
        let l = try layout(dir)
        var corruptions = 0
        if let cp = l.checkpoint {
            let names: [String]
            do throws(FileIOError) { names = try FileIO.listDirectory(cp.path) } catch { throw .io(error) }
            for name in names {
                let bytes: [UInt8]
                do throws(FileIOError) { bytes = try FileIO.readFile(cp.path + "/" + name) } catch { throw .io(error) }
                let (_, clean) = readSegment(bytes, visit)
                if !clean { throw .corrupted(path: cp.path + "/" + name, reason: "checkpoint record fails its CRC") }
            }
        }
        var next = (l.checkpoint?.index ?? -1) + 1
        for (i, seg) in l.segments.enumerated() {
            let path = dir + "/" + WAL.segmentName(seg)
            let bytes: [UInt8]
            do throws(FileIOError) { bytes = try FileIO.readFile(path) } catch { throw .io(error) }
            let (validEnd, clean) = readSegment(bytes, visit)
            next = seg + 1
            if !clean {
                let isLast = i == l.segments.count - 1
                if !isLast {
                    corruptions += 1
                    logger.warning("metric WAL corrupted; dropping the rest", metadata: [
                        "segment": "\(path)", "offset": "\(validEnd)",
                    ])
                    for later in l.segments[(i + 1)...] { try? FileIO.removeTree(dir + "/" + WAL.segmentName(later)) }
                } else {
                    logger.info("metric WAL: cut torn tail", metadata: ["segment": "\(path)", "offset": "\(validEnd)"])
                }
                do throws(FileIOError) { try FileIO.truncate(path, to: Int64(validEnd)) } catch { throw .io(error) }
                break
            }
        }
        return (next, corruptions)
    }

    private static func readSegment(_ bytes: [UInt8], _ visit: (WALRecord.Decoded) -> Void) -> (Int, Bool) {
        bytes.withUnsafeBytes { buf in
            var decodeFailed = false
            var lastGood = 0
            let (end, clean) = WALRecord.scan(buf) { type, body in
                if decodeFailed { return }
                do throws(ByteReadError) {
                    if let d = try WALRecord.decode(type: type, body: body) { visit(d) }
                    lastGood = body.baseAddress! - buf.baseAddress! + body.count
                } catch {
                    decodeFailed = true
                }
            }
            return decodeFailed ? (lastGood, false) : (end, clean)
        }
    }

    /// Rewrites the checkpoint and segments up to `last` into `checkpoint.<last>`, keeping only
    /// series still in the head and samples at or after `minT`; then deletes what it replaces.
    static func checkpoint(
        _ dir: String, through last: Int, keep: (UInt64) -> Bool, minT: Int64
    ) throws(MetricStoreError) {
        let l = try layout(dir)
        var inputs: [String] = []
        if let cp = l.checkpoint {
            if cp.index >= last { return }
            do throws(FileIOError) { inputs += try FileIO.listDirectory(cp.path).map { cp.path + "/" + $0 }  } catch { throw .io(error) }
        }
        inputs += l.segments.filter { $0 <= last }.map { dir + "/" + WAL.segmentName($0) }
        var out: [UInt8] = []
        var seriesBatch: [(ref: UInt64, labels: Labels)] = []
        var samplesBatch: [WALRecord.RefSample] = []
        for path in inputs {
            let bytes: [UInt8]
            do throws(FileIOError) { bytes = try FileIO.readFile(path) } catch { throw .io(error) }
            _ = readSegment(bytes) { rec in
                switch rec {
                case .series(let ss):
                    seriesBatch += ss.filter { keep($0.ref) }
                case .samples(let ss):
                    samplesBatch += ss.filter { $0.t >= minT && keep($0.ref) }
                }
                if seriesBatch.count >= 10_000 {
                    WALRecord.encodeSeries(seriesBatch, into: &out)
                    seriesBatch.removeAll(keepingCapacity: true)
                }
                if samplesBatch.count >= 10_000 {
                    WALRecord.encodeSeries(seriesBatch, into: &out)
                    seriesBatch.removeAll(keepingCapacity: true)
                    WALRecord.encodeSamples(samplesBatch, into: &out)
                    samplesBatch.removeAll(keepingCapacity: true)
                }
            }
        }
        WALRecord.encodeSeries(seriesBatch, into: &out)
        WALRecord.encodeSamples(samplesBatch, into: &out)
        let final = dir + "/" + checkpointName(last)
        let tmp = final + ".tmp"
        try? FileIO.removeTree(tmp)
        do throws(FileIOError) {
            try FileIO.makeDirectories(tmp)
            try FileIO.writeFile(tmp + "/" + WAL.segmentName(0), out)
            try FileIO.fsyncDirectory(tmp)
            try FileIO.rename(tmp, to: final)
            try FileIO.fsyncDirectory(dir)
        } catch { throw .io(error) }
        _ = try layout(dir)  // deletes the replaced checkpoint and segments
    }
}
