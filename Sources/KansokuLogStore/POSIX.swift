#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func strerrorText(_ err: Int32) -> UnsafeMutablePointer<CChar> { strerror(err) }

/// Thin, typed-throwing wrappers over the POSIX calls the store needs. Every failure names
/// the path and the operation.
enum FileIO {
    static func fail(_ path: String, _ op: String) -> LogStoreError { .io(path: path, errno: errno, operation: op) }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(LogStoreError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw fail(path, "open") }
        return fd
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(LogStoreError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(path, "write")
            }
            done += n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(LogStoreError) {
        let r: Result<Void, LogStoreError> = bytes.withUnsafeBytes { b in
            do throws(LogStoreError) { try writeAll(fd, b, path: path); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int64, path: String) throws(LogStoreError) {
        let r: Result<Void, LogStoreError> = bytes.withUnsafeBytes { b in
            do throws(LogStoreError) { try pwriteAll(fd, b, at: offset, path: path); return .success(()) } catch { return .failure(error) }
        }
        try r.get()
    }

    static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(LogStoreError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(path, "pwrite")
            }
            done += n
        }
    }

    /// Reads up to `count` bytes at `offset` (fewer at end of file).
    static func pread(_ fd: Int32, count: Int, at offset: Int64, path: String) throws(LogStoreError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        out.withUnsafeMutableBytes { buf in
            while done < count {
                let n = Glibc.pread(fd, buf.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { break }
                done += n
            }
        }
        if failure != 0 { throw .io(path: path, errno: failure, operation: "pread") }
        if done < count { out.removeLast(count - done) }
        return out
    }

    static func fsync(_ fd: Int32, path: String) throws(LogStoreError) {
        guard Glibc.fsync(fd) == 0 else { throw fail(path, "fsync") }
    }

    static func fsyncDirectory(_ path: String) throws(LogStoreError) {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    static func fileSize(_ fd: Int32, path: String) throws(LogStoreError) -> Int64 {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail(path, "fstat") }
        return Int64(st.st_size)
    }

    static func fileSize(path: String) throws(LogStoreError) -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw fail(path, "stat") }
        return Int64(st.st_size)
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func makeDirectories(_ path: String) throws(LogStoreError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw fail(current, "mkdir") }
        }
    }

    static func listDirectory(_ path: String) throws(LogStoreError) -> [String] {
        guard let dir = opendir(path) else {
            if errno == ENOENT { return [] }
            throw fail(path, "opendir")
        }
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

    static func removeFile(_ path: String) throws(LogStoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw fail(path, "unlink") }
    }

    /// Removes a folder and the files in it (one level: the store never nests deeper there).
    static func removeTree(_ path: String) throws(LogStoreError) {
        for name in try listDirectory(path) {
            let child = path + "/" + name
            var st = stat()
            if lstat(child, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                try removeTree(child)
            } else {
                try removeFile(child)
            }
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw fail(path, "rmdir") }
    }

    static func readFile(_ path: String) throws(LogStoreError) -> [UInt8] {
        let fd = try open(path, flags: O_RDONLY)
        defer { close(fd) }
        let size = try fileSize(fd, path: path)
        return try pread(fd, count: Int(size), at: 0, path: path)
    }

    /// Writes a file so that readers see either the old or the new content, never a mix, even
    /// after a crash: temp file, fsync, rename over, fsync the folder.
    static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(LogStoreError) {
        let tmp = path + ".tmp"
        let fd = try open(tmp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do throws(LogStoreError) {
            try writeAll(fd, bytes, path: tmp)
            try fsync(fd, path: tmp)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw fail(path, "rename") }
        try fsyncDirectory(parent(of: path))
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func truncate(_ path: String, to size: Int64) throws(LogStoreError) {
        guard Glibc.truncate(path, off_t(size)) == 0 else { throw fail(path, "truncate") }
    }
}
