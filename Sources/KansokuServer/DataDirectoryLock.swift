import Foundation

/// An exclusive `flock` on `<data>/LOCK`, held by a running server so a second server — or a
/// CLI reading the directory with `--data-dir` — cannot open the same stores at once.
public final class DataDirectoryLock: Sendable {
    let fd: Int32
    public let path: String

    public enum Failure: Error, CustomStringConvertible {
        case inUse(path: String, owner: String)
        case cannotOpen(path: String, errno: Int32)
        public var description: String {
            switch self {
            case .inUse(let p, let owner):
                return "data directory \(p) is in use by a running server\(owner.isEmpty ? "" : " (pid \(owner))"); query it with --addr, or stop it first"
            case .cannotOpen(let p, let e):
                return "cannot open \(p): \(String(cString: strerror(e)))"
            }
        }
    }

    public init(directory: String) throws(Failure) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/LOCK"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let owner = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw .inUse(path: directory, owner: owner)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}
