import Foundation

/// Where a block's data came from: the head (which then never accepts samples before the
/// block's end again) or an import of historical data.
enum BlockOrigin: String, Codable, Sendable {
    case head
    case `import`
}

/// `meta.json` of a block, field names as Prometheus writes them (times in ms; `maxTime`
/// exclusive).
struct BlockMeta: Codable, Sendable {
    struct Stats: Codable, Sendable {
        var numSamples: UInt64
        var numSeries: UInt64
        var numChunks: UInt64
    }

    struct Compaction: Codable, Sendable {
        var level: Int
        var sources: [String]
        var parents: [String]?
    }

    var ulid: String
    var minTime: Int64
    var maxTime: Int64
    var stats: Stats
    var compaction: Compaction
    var version: Int = 1
    var origin: BlockOrigin = .head

    func encoded() -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array((try? e.encode(self)) ?? Data())
    }

    static func decode(_ bytes: [UInt8], path: String) throws(MetricStoreError) -> BlockMeta {
        do { return try JSONDecoder().decode(BlockMeta.self, from: Data(bytes)) } catch {
            throw .corrupted(path: path, reason: "meta.json: \(error)")
        }
    }
}

/// ULIDs name block directories: 48-bit millisecond time + 80 random bits, Crockford base32,
/// so names sort by creation time.
enum ULID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static func make(ms: UInt64 = UInt64(Date().timeIntervalSince1970 * 1000)) -> String {
        var g = SystemRandomNumberGenerator()
        let hi = (ms << 16) | UInt64(g.next() as UInt16)  // 48 time bits + 16 random
        let lo = g.next() as UInt64  // 64 random
        // 128 bits → 26 chars of 5 bits (the top char carries 3 bits).
        var out = [UInt8](repeating: 0, count: 26)
        for i in 0..<26 {
            let shift = 5 * (25 - i)  // of this char's lowest bit in the 128-bit number
            let v: UInt64
            if shift >= 64 {
                v = hi >> UInt64(shift - 64)
            } else if shift == 0 {
                v = lo
            } else {
                v = (lo >> UInt64(shift)) | (hi << UInt64(64 - shift))
            }
            out[i] = alphabet[Int(v & 31)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
