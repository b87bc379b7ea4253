#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, typed-throwing wrappers over POSIX file calls: the store's only way to the disk.
enum FileIO {
    static func fail(_ path: String, _ op: String) -> MetricStoreError { .io(path: path, operation: op, errno: errno) }

    static func mkdirs(_ path: String) throws(MetricStoreError) {
        var cur = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            cur += "/" + part
            if mkdir(cur, 0o755) != 0 && errno != EEXIST { throw fail(cur, "mkdir") }
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Total bytes of regular files under `path`.
    static func treeSize(_ path: String) -> Int64 {
        if !isDirectory(path) { return size(path) }
        return ((try? list(path)) ?? []).reduce(0) { $0 + treeSize(path + "/" + $1) }
    }

    /// Names in a directory, without `.` and `..`, sorted.
    static func list(_ path: String) throws(MetricStoreError) -> [String] {
        guard let d = opendir(path) else { throw fail(path, "opendir") }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted()
    }

    static func removeTree(_ path: String) {
        if isDirectory(path) {
            for name in (try? list(path)) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    static func renameItem(_ from: String, _ to: String) throws(MetricStoreError) {
        if rename(from, to) != 0 { throw fail(from, "rename") }
    }

    static func fsyncDirectory(_ path: String) throws(MetricStoreError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        if fd < 0 { throw fail(path, "open") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw fail(path, "fsync") }
    }

    static func readFile(_ path: String) throws(MetricStoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw fail(path, "open") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw fail(path, "stat") }
        let n = Int(st.st_size)
        var out = [UInt8](repeating: 0, count: n)
        var done = 0
        while done < n {
            let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, n - done) }
            if r < 0 { if errno == EINTR { continue }; throw fail(path, "read") }
            if r == 0 { break }
            done += r
        }
        if done < n { out.removeLast(n - done) }
        return out
    }

    /// Writes `bytes` to a new file, fsyncs it; the caller renames it into place.
    static func writeFile(_ path: String, _ bytes: [UInt8], sync: Bool = true) throws(MetricStoreError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw fail(path, "open") }
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
        if sync && fsync(fd) != 0 { throw fail(path, "fsync") }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(MetricStoreError) {
        var done = 0
        while done < bytes.count {
            let r = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if r < 0 { if errno == EINTR { continue }; throw fail(path, "write") }
            done += r
        }
    }

    static func truncateFile(_ path: String, to length: Int) throws(MetricStoreError) {
        if truncate(path, off_t(length)) != 0 { throw fail(path, "truncate") }
    }
}

/// A read-only memory map of a whole file; unmapped when the last reference goes.
final class MappedFile: @unchecked Sendable {
    let path: String
    let base: UnsafeRawPointer?
    let count: Int

    init(_ path: String) throws(MetricStoreError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw FileIO.fail(path, "open") }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FileIO.fail(path, "stat") }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            throw FileIO.fail(path, "mmap")
        }
        base = UnsafeRawPointer(p)
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }
}
