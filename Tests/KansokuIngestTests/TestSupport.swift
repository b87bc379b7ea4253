import Foundation
import Glibc

/// A temporary directory removed when the value is dropped.
final class TempDir {
    let path: String

    init() throws {
        var tmp = NSTemporaryDirectory()
        while tmp.hasSuffix("/") { tmp.removeLast() }
        var template = Array((tmp + "/kansoku-ingest-XXXXXX").utf8CString)
        guard let p = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: p)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws { try write(name, Array(text.utf8)) }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        let full = url(name)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    func append(_ name: String, _ text: String) throws { try append(name, Array(text.utf8)) }

    func append(_ name: String, _ bytes: [UInt8]) throws {
        try FileManager.default.createDirectory(atPath: (url(name) as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let fd = open(url(name), O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(url(from), url(to)) == 0 else { throw POSIXError(.EIO) }
    }

    /// copytruncate as logrotate does it: copy, then truncate in place.
    func copyTruncate(_ name: String, to copy: String) throws {
        try FileManager.default.copyItem(atPath: url(name), toPath: url(copy))
        guard truncate(url(name), 0) == 0 else { throw POSIXError(.EIO) }
    }
}

enum FileManagerLite {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
