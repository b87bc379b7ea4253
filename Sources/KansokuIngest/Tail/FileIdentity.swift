import Glibc
import KansokuCore

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

    static func of(path: String) -> Result<FileStatus, FileIOError> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(FileIOError(operation: "stat", path: path, errno: errno)) }
        return .success(FileStatus(st))
    }

    static func of(fd: Int32, path: String) -> Result<FileStatus, FileIOError> {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(FileIOError(operation: "fstat", path: path, errno: errno)) }
        return .success(FileStatus(st))
    }
}
