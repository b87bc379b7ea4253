#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Objects as files under a root directory: the embedded default, and what tests and a
/// single node use. A put writes a temporary file, fsyncs it and renames it into place, so a
/// crash leaves either the old object or the new one, never a torn one.
public struct FileSystemObjectStore: ObjectStore {
    public let root: String

    public init(root: String) throws(ObjectStoreError) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        try Self.makeDirectories(self.root)
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws(ObjectStoreError) {
        try ObjectKey.validate(key)
        let path = self.path(key)
        let directory = String(path[..<path.lastIndex(of: "/")!])
        try Self.makeDirectories(directory)
        let temporary = directory + "/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("create \(temporary): \(Self.errnoText())") }
        do throws(ObjectStoreError) {
            let failed = bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) -> Bool in
                var offset = 0
                while offset < buffer.count {
                    let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return true }
                    offset += n
                }
                return false
            }
            if failed { throw .io("write \(temporary): \(Self.errnoText())") }
            guard fsync(fd) == 0 else { throw .io("fsync \(temporary): \(Self.errnoText())") }
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = Self.errnoText()
            unlink(temporary)
            throw .io("rename to \(path): \(reason)")
        }
        Self.syncDirectory(directory)
    }

    public func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] {
        try ObjectKey.validate(key)
        return try read(key, range: nil)
    }

    public func get(_ key: String, range: Range<Int>) async throws(ObjectStoreError) -> [UInt8] {
        try ObjectKey.validate(key)
        return try read(key, range: range)
    }

    public func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] {
        // Walk only the directory the prefix's last `/` names, not the whole tree.
        let base = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        var found: [ObjectInfo] = []
        try walk(relative: base, prefix: prefix, into: &found)
        return found.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    public func delete(_ key: String) async throws(ObjectStoreError) {
        try ObjectKey.validate(key)
        if unlink(path(key)) != 0 && errno != ENOENT { throw .io("unlink \(key): \(Self.errnoText())") }
    }

    // MARK: - Files

    private func path(_ key: String) -> String { root + "/" + key }

    private func read(_ key: String, range: Range<Int>?) throws(ObjectStoreError) -> [UInt8] {
        let fd = open(path(key), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw .notFound(key: key) }
            throw .io("open \(key): \(Self.errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io("stat \(key): \(Self.errnoText())") }
        let size = Int(info.st_size)
        let wanted = range ?? 0..<size
        guard wanted.lowerBound >= 0, wanted.upperBound <= size else {
            throw .invalidRange(key: key, range: wanted, size: size)
        }
        var bytes = [UInt8](repeating: 0, count: wanted.count)
        var done = 0
        while done < wanted.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, wanted.count - done, off_t(wanted.lowerBound + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io("read \(key): \(n == 0 ? "file shrank" : Self.errnoText())") }
            done += n
        }
        return bytes
    }

    private func walk(relative: String, prefix: String, into found: inout [ObjectInfo]) throws(ObjectStoreError) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        guard let handle = opendir(directory) else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw .io("list \(directory): \(Self.errnoText())")
        }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." || name.hasPrefix(".tmp-") { continue }
            let key = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard stat(root + "/" + key, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                // Descend only where keys below can still start with the prefix.
                let sub = key + "/"
                if sub.hasPrefix(prefix) || prefix.hasPrefix(sub) {
                    try walk(relative: key, prefix: prefix, into: &found)
                }
            } else if key.hasPrefix(prefix) {
                found.append(ObjectInfo(key: key, size: Int(info.st_size)))
            }
        }
    }

    private static func makeDirectories(_ path: String) throws(ObjectStoreError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .io("mkdir \(current): \(errnoText())")
            }
        }
    }

    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
