import Glibc

/// A file as the kernel knows it, whatever its name: device and inode. Rotation renames a
/// file without changing its identity, so positions follow the data, not the path.
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    public var description: String { "dev \(device) ino \(inode)" }
}

/// What `stat` says about a path or descriptor, reduced to what tailing needs.
struct FileStatus {
    var identity: FileIdentity
    var size: Int64
    var isRegular: Bool

    init(_ st: stat) {
        identity = FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        size = Int64(st.st_size)
        isRegular = (st.st_mode & S_IFMT) == S_IFREG
    }

    static func of(path: String) -> Result<FileStatus, POSIXFailure> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(POSIXFailure(operation: "stat", path: path, errno: errno)) }
        return .success(FileStatus(st))
    }

    static func of(fd: Int32, path: String) -> Result<FileStatus, POSIXFailure> {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(POSIXFailure(operation: "fstat", path: path, errno: errno)) }
        return .success(FileStatus(st))
    }
}

/// A failed system call, for logs and errors.
public struct POSIXFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Small POSIX helpers with EINTR handled.
enum POSIX {
    static func pread(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
        while true {
            let n = Glibc.pread(fd, buf.baseAddress, buf.count, off_t(offset))
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = write(fd, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
    }

    /// Writes `bytes` to `path` so that after a crash the file holds either the old or the new
    /// contents, never a mix: write a temporary file, fsync it, rename it over, fsync the directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) -> POSIXFailure? {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return POSIXFailure(operation: "open", path: tmp, errno: errno) }
        guard writeAll(fd, bytes) else {
            let e = errno
            close(fd)
            return POSIXFailure(operation: "write", path: tmp, errno: e)
        }
        guard fsync(fd) == 0 else {
            let e = errno
            close(fd)
            return POSIXFailure(operation: "fsync", path: tmp, errno: e)
        }
        close(fd)
        guard rename(tmp, path) == 0 else { return POSIXFailure(operation: "rename", path: path, errno: errno) }
        let dir = directoryName(path)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            defer { close(dfd) }
            guard fsync(dfd) == 0 else { return POSIXFailure(operation: "fsync", path: dir, errno: errno) }
        }
        return nil
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        var offset: Int64 = 0
        while true {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0, at: offset) }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: buf[0..<n])
            offset += Int64(n)
        }
    }

    static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func makeDirectories(_ path: String) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            mkdir(current, 0o755)
        }
    }
}
