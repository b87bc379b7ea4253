import Glibc

/// A failed system call: which, on what path, and the errno it returned.
public struct FileIOError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call that failed: `open`, `write`, `fsync`, `rename`, …
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        (self.operation, self.path, self.errno) = (operation, path, errno)
    }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Every way Kansoku reaches the disk: typed-throwing wrappers over the POSIX calls, with
/// EINTR retried and every failure naming the call and the path. `writeAtomically` is the one
/// crash-safe way to replace a whole file; the stores' WALs and block folders build on the
/// same primitives.
public enum FileIO {
    static func failure(_ operation: String, _ path: String, _ errno: Int32 = Glibc.errno) -> FileIOError {
        FileIOError(operation: operation, path: path, errno: errno)
    }

    // MARK: Descriptors

    /// Opens `path` close-on-exec.
    public static func open(_ path: String, flags: Int32, mode: UInt32 = 0o644) throws(FileIOError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw failure("open", path) }
        return fd
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Writes all of `bytes`; `faults` (tests only) can make the write fail first.
    public static func writeAll(
        _ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String, faults: DiskFaults? = nil
    ) throws(FileIOError) {
        if let e = faults?.writeFault() { throw failure("write", path, e) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            done += n
        }
    }

    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String, faults: DiskFaults? = nil) throws(FileIOError) {
        let result: Result<Void, FileIOError> = bytes.withUnsafeBytes { b in
            do throws(FileIOError) { try writeAll(fd, b, path: path, faults: faults); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    public static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(FileIOError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("pwrite", path)
            }
            done += n
        }
    }

    public static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws(FileIOError) {
        let result: Result<Void, FileIOError> = bytes.withUnsafeBytes { b in
            do throws(FileIOError) { try pwriteAll(fd, b, at: offset, path: path); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// One `pread` into `buffer`, EINTR retried: the byte count, 0 at end of file, -1 with
    /// `errno` set. For loops that handle short reads themselves (tailing a growing file).
    public static func preadSome(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
        while true {
            let n = Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Reads up to `count` bytes at `offset` (fewer at end of file).
    public static func pread(_ fd: Int32, count: Int, at offset: Int64, path: String) throws(FileIOError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        var failed: Int32 = 0
        out.withUnsafeMutableBytes { buffer in
            while done < count {
                let n = preadSome(fd, UnsafeMutableRawBufferPointer(rebasing: buffer[done...]), at: offset + Int64(done))
                if n < 0 { failed = errno; return }
                if n == 0 { break }
                done += n
            }
        }
        if failed != 0 { throw failure("pread", path, failed) }
        if done < count { out.removeLast(count - done) }
        return out
    }

    /// fsyncs `fd`; `faults` (tests only) can make it fail first.
    public static func fsync(_ fd: Int32, path: String, faults: DiskFaults? = nil) throws(FileIOError) {
        if let e = faults?.syncFault() { throw failure("fsync", path, e) }
        guard Glibc.fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    /// fsyncs a folder, so that the names created, renamed or removed in it survive a crash.
    public static func fsyncDirectory(_ path: String) throws(FileIOError) {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Cuts an open file to `size` bytes.
    public static func truncate(_ fd: Int32, to size: Int64, path: String) throws(FileIOError) {
        guard ftruncate(fd, off_t(size)) == 0 else { throw failure("truncate", path) }
    }

    public static func fileSize(_ fd: Int32, path: String) throws(FileIOError) -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw failure("fstat", path) }
        return Int64(st.st_size)
    }

    // MARK: Paths

    public static func fileSize(path: String) throws(FileIOError) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw failure("stat", path) }
        return Int64(st.st_size)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Total bytes of the regular files under `path` (0 for what cannot be read).
    public static func treeSize(_ path: String) -> Int64 {
        guard isDirectory(path) else { return (try? fileSize(path: path)) ?? 0 }
        return ((try? listDirectory(path)) ?? []).reduce(0) { $0 + treeSize(path + "/" + $1) }
    }

    /// The folder part of `path`: "." for a bare name, "/" for a file at the root.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `mkdir -p`.
    public static func makeDirectories(_ path: String) throws(FileIOError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw failure("mkdir", current) }
        }
    }

    /// The names in a folder, without `.` and `..`, sorted.
    public static func listDirectory(_ path: String) throws(FileIOError) -> [String] {
        guard let dir = opendir(path) else { throw failure("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func rename(_ from: String, to: String) throws(FileIOError) {
        guard Glibc.rename(from, to) == 0 else { throw failure("rename", from) }
    }

    /// Removes a file; one already gone is not an error.
    public static func removeFile(_ path: String) throws(FileIOError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink", path) }
    }

    /// Removes a file or a folder with everything below it; what is already gone is not an error.
    public static func removeTree(_ path: String) throws(FileIOError) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw failure("lstat", path)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return try removeFile(path) }
        for name in try listDirectory(path) { try removeTree(path + "/" + name) }
        guard rmdir(path) == 0 || errno == ENOENT else { throw failure("rmdir", path) }
    }

    public static func truncate(_ path: String, to size: Int64) throws(FileIOError) {
        guard Glibc.truncate(path, off_t(size)) == 0 else { throw failure("truncate", path) }
    }

    // MARK: Whole files

    /// The whole file, read to its end (a file still growing yields what is there).
    public static func readFile(_ path: String) throws(FileIOError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        var out = try pread(fd, count: Int(try fileSize(fd, path: path)), at: 0, path: path)
        while true {
            let more = try pread(fd, count: 64 * 1024, at: Int64(out.count), path: path)
            if more.isEmpty { return out }
            out += more
        }
    }

    /// Writes a new file and (unless `sync` is false) fsyncs it; the caller renames it into place.
    public static func writeFile(_ path: String, _ bytes: [UInt8], sync: Bool = true) throws(FileIOError) {
        let fd = try open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
        if sync { try fsync(fd, path: path) }
    }

    /// What `writeAtomically` does when the file was renamed into place but the folder's fsync
    /// failed, so the new name may not survive a crash.
    public enum UnsyncedRename: Sendable {
        /// Leave the new file there (it replaced an older version that is gone anyway).
        case keep
        /// Remove it again, so that what was reported as not written is not there after a
        /// restart either (best effort: the unlink may itself not reach the disk, which
        /// yields a duplicate, never a loss).
        case remove
    }

    /// Replaces the file at `path` so that after a crash or power loss it holds either the old
    /// or the new content, never a mix: a temporary file beside it, fsync, rename over, fsync
    /// the folder. When it throws, the temporary file is gone; `faults` (tests only) can make
    /// the write or either fsync fail.
    public static func writeAtomically(
        _ bytes: [UInt8], to path: String, mode: UInt32 = 0o644,
        faults: DiskFaults? = nil, ifRenameNotDurable: UnsyncedRename = .keep
    ) throws(FileIOError) {
        let tmp = path + temporarySuffix
        let fd = try open(tmp, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        do throws(FileIOError) {
            try writeAll(fd, bytes, path: tmp, faults: faults)
            try fsync(fd, path: tmp, faults: faults)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        guard Glibc.rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw failure("rename", path, e)
        }
        do throws(FileIOError) {
            if let e = faults?.syncFault() { throw failure("fsync", parent(of: path), e) }
            try fsyncDirectory(parent(of: path))
        } catch {
            if ifRenameNotDurable == .remove { unlink(path) }
            throw error
        }
    }

    /// Removes a file and fsyncs its folder, so the removal survives a crash.
    public static func removeDurably(_ path: String) throws(FileIOError) {
        try removeFile(path)
        try fsyncDirectory(parent(of: path))
    }

    /// The suffix of the temporary files `writeAtomically` writes beside their target.
    public static let temporarySuffix = ".tmp"

    /// Removes the temporary files a crash in the middle of `writeAtomically` left in `folder`.
    public static func removeTemporaries(in folder: String) {
        for name in (try? listDirectory(folder)) ?? [] where name.hasSuffix(temporarySuffix) {
            unlink(folder + "/" + name)
        }
    }
}
