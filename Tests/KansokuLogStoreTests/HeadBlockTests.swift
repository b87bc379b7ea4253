import KansokuCore
import Testing
@testable import KansokuLogStore

/// A head holds entries in one buffer in arrival order; read, it is in timestamp order with
/// ties in arrival order, whether sorted into arrays or into a decoder's reused buffers.
@Suite struct HeadBlockTests {
    @Test func readsInStableTimeOrder() {
        var rng = SplitMix64(seed: 11)
        for round in 0..<200 {
            var head = HeadBlock()
            var oracle: [(t: Int64, line: [UInt8], md: Labels)] = []
            for i in 0..<Int(rng.next() % 60) {
                let t = Int64(rng.next() % 20)
                let line = Array("r\(round) e\(i) ".utf8) + Array(repeating: UInt8(97 + i % 26), count: Int(rng.next() % 40))
                let md = round % 3 == 0 && i % 4 == 1 ? Labels(["trace": "\(i)"]) : Labels()
                line.withUnsafeBytes { head.append(timestamp: t, line: $0, metadata: md) }
                oracle.append((t, line, md))
            }
            let want = oracle.enumerated().sorted { ($0.element.t, $0.offset) < ($1.element.t, $1.offset) }.map(\.element)
            let d = head.sortedBlock()
            #expect(d.timestamps == want.map(\.t))
            #expect((0..<d.count).map { Array(d.line($0)) } == want.map(\.line))
            #expect(d.metadata.isEmpty ? want.allSatisfy(\.md.isEmpty) : d.metadata == want.map(\.md))
            let codec = BlockCodec(level: 1)
            let borrowed = codec.withHead(head) { b in
                (Array(b.timestamps), (0..<b.count).map { Array(b.lines[$0]) }, b.metadata)
            }
            #expect(borrowed.0 == d.timestamps && borrowed.1 == want.map(\.line) && borrowed.2 == d.metadata)
            if let last = oracle.last {
                #expect(last.line.withUnsafeBytes { head.endsWith(timestamp: last.t, line: $0) })
                #expect(!last.line.withUnsafeBytes { head.endsWith(timestamp: last.t + 1, line: $0) })
            }
        }
    }

    /// A cut head keeps room for about what its block used, however far its buffer doubled:
    /// cut after cut, a busy stream's head stays near the block size instead of ratcheting up.
    @Test func cutKeepsRoomForWhatTheBlockUsed() {
        var head = HeadBlock()
        let line = [UInt8](repeating: 120, count: 188)
        var used = 0
        for round in 0..<20 {
            // Each block a little bigger than 256 KiB, so the buffer doubles past it.
            var t = Int64(round) * 10_000
            while head.rawSize < 256 * 1024 + round * 512 {
                line.withUnsafeBytes { head.append(timestamp: t, line: $0, metadata: Labels()) }
                t += 1
            }
            used = head.entries.count
            #expect(head.entries.capacity >= used)
            let block = head.cut()
            #expect(block.count == used / (HeadBlock.entryHeader + line.count))
            #expect(head.isEmpty)
            #expect(head.entries.capacity <= used + used / 8 + 4096, "round \(round): \(head.entries.capacity) bytes kept for a \(used)-byte block")
        }
        // A quiet stream's head keeps little.
        line.withUnsafeBytes { head.append(timestamp: 1 << 40, line: $0, metadata: Labels()) }
        _ = head.cut()
        #expect(head.entries.capacity <= 4096)
    }
}
