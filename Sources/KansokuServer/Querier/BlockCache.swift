import KansokuCore
import Synchronization

/// Byte ranges of bucket objects kept on local disk, least recently used dropped first once
/// their total passes `capacity`. Objects in the bucket never change (a segment is written
/// once; an index is replaced under the same key only as a new object, which the index cache
/// fetches whole, not through here), so a cached range never goes stale.
///
/// One file per range, named by a hash of key and range; what the cache holds is rebuilt
/// from the directory at start, in file-name order (their age is not kept).
final class BlockCache: Sendable {
    let directory: String
    let capacity: Int
    private struct State {
        var entries: [String: (size: Int, used: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }
    private let state = Mutex(State())

    init(directory: String, capacity: Int) throws(FileIOError) {
        self.directory = directory
        self.capacity = capacity
        try FileIO.makeDirectories(directory)
        FileIO.removeTemporaries(in: directory)
        var initial = State()
        for name in try FileIO.listDirectory(directory).sorted() where name.hasSuffix(".range") {
            guard let size = try? FileIO.fileSize(path: directory + "/" + name) else { continue }
            initial.clock += 1
            initial.entries[name] = (Int(size), initial.clock)
            initial.bytes += Int(size)
        }
        state.withLock { $0 = initial }
        evict()
    }

    static func name(key: String, range: Range<Int64>) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16) + "-\(range.lowerBound)-\(range.upperBound).range"
    }

    /// Bytes held by the cache.
    var size: Int { state.withLock { $0.bytes } }

    func get(key: String, range: Range<Int64>) -> [UInt8]? {
        let name = Self.name(key: key, range: range)
        let known = state.withLock { s -> Bool in
            guard s.entries[name] != nil else { return false }
            s.clock += 1
            s.entries[name]?.used = s.clock
            return true
        }
        guard known, let bytes = try? FileIO.readFile(directory + "/" + name), bytes.count == range.count else { return nil }
        return bytes
    }

    /// Keeps `bytes`; a range larger than the whole cache is not kept.
    func put(key: String, range: Range<Int64>, _ bytes: [UInt8]) {
        guard bytes.count <= capacity else { return }
        let name = Self.name(key: key, range: range)
        // No fsync: a torn file after a crash is caught by its length, and by the CRC of the
        // block or meta it holds.
        let path = directory + "/" + name
        do throws(FileIOError) {
            try FileIO.writeFile(path + FileIO.temporarySuffix, bytes, sync: false)
            try FileIO.rename(path + FileIO.temporarySuffix, to: path)
        } catch {
            return
        }
        state.withLock { s in
            if let old = s.entries[name] { s.bytes -= old.size }
            s.clock += 1
            s.entries[name] = (bytes.count, s.clock)
            s.bytes += bytes.count
        }
        evict()
    }

    private func evict() {
        let victims = state.withLock { s -> [String] in
            guard s.bytes > capacity else { return [] }
            var out: [String] = []
            for (name, e) in s.entries.sorted(by: { $0.value.used < $1.value.used }) where s.bytes > capacity {
                s.entries[name] = nil
                s.bytes -= e.size
                out.append(name)
            }
            return out
        }
        for name in victims { try? FileIO.removeFile(directory + "/" + name) }
    }
}
