import KansokuCore
import Glibc

/// A read-only memory map of a whole file; unmapped when the last reference goes.
final class MappedFile: @unchecked Sendable {
    let path: String
    let base: UnsafeRawPointer?
    let count: Int

    init(_ path: String) throws(FileIOError) {
        self.path = path
        let fd = try FileIO.open(path, flags: O_RDONLY)
        defer { FileIO.close(fd) }
        count = Int(try FileIO.fileSize(fd, path: path))
        if count == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw FileIOError(operation: "mmap", path: path, errno: errno)
        }
        base = UnsafeRawPointer(p)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }
}
