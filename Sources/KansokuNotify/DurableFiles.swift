import KansokuCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash-safe file operations on POSIX: a file written with `writeAtomically` is either
/// absent or complete after a crash or power loss (temp file, fsync, rename, fsync of the
/// directory), and a `remove` is made durable by syncing the directory.
enum DurableFiles {
    enum Failure: Error, CustomStringConvertible {
        case posix(String, path: String, errno: Int32)
        var description: String {
            switch self {
            case let .posix(op, path, e): return "\(op) \(path): \(String(cString: strerror(e)))"
            }
        }
    }

    static func createDirectory(_ path: String) throws(Failure) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw .posix("mkdir", path: prefix, errno: errno) }
        }
    }

    /// Either the file is complete and durable at `path` when this returns, or it throws and
    /// leaves nothing at `path` (the temp file and, if the rename happened but the directory
    /// fsync failed, the renamed file are removed again).
    static func writeAtomically(_ bytes: [UInt8], to path: String, faults: DiskFaults? = nil) throws(Failure) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .posix("open", path: tmp, errno: errno) }
        do throws(Failure) {
            if let e = faults?.writeFault() { throw .posix("write", path: tmp, errno: e) }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .posix("write", path: tmp, errno: errno)
                }
                written += n
            }
            if let e = faults?.syncFault() { throw .posix("fsync", path: tmp, errno: e) }
            if fsync(fd) != 0 { throw .posix("fsync", path: tmp, errno: errno) }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw .posix("rename", path: path, errno: e)
        }
        do throws(Failure) {
            if let e = faults?.syncFault() { throw .posix("fsync", path: path, errno: e) }
            try syncDirectory(of: path)
        } catch {
            // Not known to be durable, so not accepted: take it back, or a restart could
            // deliver a notification that was reported as not written (best effort: this
            // unlink may itself not reach the disk, which yields a duplicate, never a loss).
            unlink(path)
            throw error
        }
    }

    static func remove(_ path: String) throws(Failure) {
        if unlink(path) != 0 && errno != ENOENT { throw .posix("unlink", path: path, errno: errno) }
        try syncDirectory(of: path)
    }

    static func syncDirectory(of path: String) throws(Failure) {
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .posix("open", path: dir, errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .posix("fsync", path: dir, errno: errno) }
    }

    static func readAll(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Names of the entries of `dir` ending in `suffix`, sorted.
    static func list(_ dir: String, suffix: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasSuffix(suffix) { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes temp files left by a crash in the middle of `writeAtomically`.
    static func removeTemporaries(in dir: String) {
        for name in list(dir, suffix: ".tmp") { unlink(dir + "/" + name) }
    }
}
