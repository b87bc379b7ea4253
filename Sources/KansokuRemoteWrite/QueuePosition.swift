import Foundation
import KansokuCore
import KansokuMetricStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a queue's acknowledged position could not be kept.
public enum QueuePositionError: Error, Sendable, Hashable, CustomStringConvertible {
    case io(path: String, operation: String, errno: Int32)
    public var description: String {
        switch self {
        case let .io(path, op, e): "\(op) \(path): \(String(cString: strerror(e)))"
        }
    }
}

/// Where a remote-write queue stands in the WAL: everything before `acknowledged` was
/// accepted by the receiver; when `inFlightEnd` is set, the round from there to it was being
/// sent. Kept in `<dir>/position` as `segment offset [segment offset]\n`.
struct QueueMark: Sendable, Hashable {
    var acknowledged: WALPosition
    var inFlightEnd: WALPosition?
}

/// A queue's mark on disk. Saved by write, fsync, rename and directory fsync, so after a crash
/// (kill -9 included) the file holds the old or the new mark, never a torn one.
///
/// The end of a round is saved before the round is sent, so a restart re-forms exactly the
/// same round (the same samples in the same batches): a batch the receiver already took
/// arrives again whole, and is taken as a repeat or refused as a whole, never half.
struct QueuePosition: Sendable {
    let directory: String
    var path: String { directory + "/position" }

    init(directory: String) { self.directory = directory }

    func load() -> QueueMark? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { Int($0) ?? -1 }
        guard numbers.count == 2 || numbers.count == 4, numbers.allSatisfy({ $0 >= 0 }) else { return nil }
        let acknowledged = WALPosition(segment: numbers[0], offset: numbers[1])
        let end = numbers.count == 4 ? WALPosition(segment: numbers[2], offset: numbers[3]) : nil
        return QueueMark(acknowledged: acknowledged, inFlightEnd: end.flatMap { $0 > acknowledged ? $0 : nil })
    }

    func save(_ mark: QueueMark) throws(QueuePositionError) {
        var line = "\(mark.acknowledged.segment) \(mark.acknowledged.offset)"
        if let e = mark.inFlightEnd { line += " \(e.segment) \(e.offset)" }
        do throws(FileIOError) {
            try FileIO.makeDirectories(directory)
            try FileIO.writeAtomically(Array((line + "\n").utf8), to: path)
        } catch {
            throw .io(path: error.path, operation: error.operation, errno: error.errno)
        }
    }
}
