import Glibc
import Testing
@testable import KansokuCore

/// The one way to the disk: what a crash-safe replace leaves behind when a write or an fsync
/// fails, and the errors it reports.
@Suite struct FileIOTests {
    /// A fresh folder under /tmp, removed at the end of the test.
    private func scratch() throws -> String {
        var template = Array("/tmp/kansoku-fileio-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw FileIOError(operation: "mkdtemp", path: "/tmp", errno: errno) }
        return String(cString: p)
    }

    @Test func atomicReplaceLeavesNewContentAndNoTemporary() throws {
        let dir = try scratch()
        defer { try? FileIO.removeTree(dir) }
        let path = dir + "/state.json"
        try FileIO.writeAtomically(Array("old".utf8), to: path)
        try FileIO.writeAtomically(Array("new content".utf8), to: path)
        #expect(try FileIO.readFile(path) == Array("new content".utf8))
        #expect(try FileIO.listDirectory(dir) == ["state.json"])
        #expect(try FileIO.fileSize(path: path) == 11)
    }

    @Test func failedWriteKeepsTheOldFileAndRemovesTheTemporary() throws {
        let dir = try scratch()
        defer { try? FileIO.removeTree(dir) }
        let path = dir + "/record"
        try FileIO.writeAtomically(Array("v1".utf8), to: path)
        let faults = DiskFaults()
        faults.failWrites(errno: ENOSPC)
        #expect(throws: FileIOError(operation: "write", path: path + ".tmp", errno: ENOSPC)) {
            try FileIO.writeAtomically(Array("v2".utf8), to: path, faults: faults)
        }
        #expect(try FileIO.readFile(path) == Array("v1".utf8))
        #expect(try FileIO.listDirectory(dir) == ["record"])
        faults.failWrites(errno: nil)
        faults.failSyncs(errno: EIO)
        #expect(throws: FileIOError(operation: "fsync", path: path + ".tmp", errno: EIO)) {
            try FileIO.writeAtomically(Array("v2".utf8), to: path, faults: faults)
        }
        #expect(try FileIO.readFile(path) == Array("v1".utf8))
        #expect(faults.attempts.writes == 2 && faults.attempts.syncs == 1)
    }

    @Test func errorsNameTheCallThePathAndTheErrno() throws {
        let missing = "/tmp/kansoku-no-such-folder-\(getpid())/x"
        #expect(throws: FileIOError(operation: "open", path: missing, errno: ENOENT)) { try FileIO.readFile(missing) }
        let e = FileIOError(operation: "fsync", path: "/data/wal/000001", errno: EIO)
        #expect(e.description == "fsync /data/wal/000001: Input/output error (errno 5)")
    }

    @Test func makeDirectoriesRemoveTreeAndTemporaries() throws {
        let dir = try scratch()
        try FileIO.makeDirectories(dir + "/a/b/c")
        try FileIO.makeDirectories(dir + "/a/b/c")  // again: already there is fine
        try FileIO.writeFile(dir + "/a/b/c/one", [1, 2, 3, 4])
        try FileIO.writeFile(dir + "/a/two.tmp", [9])
        try FileIO.writeFile(dir + "/a/kept", [9, 9])
        #expect(FileIO.isDirectory(dir + "/a/b"))
        #expect(FileIO.treeSize(dir) == 7)
        FileIO.removeTemporaries(in: dir + "/a")
        #expect(try FileIO.listDirectory(dir + "/a") == ["b", "kept"])
        try FileIO.removeTree(dir)
        #expect(!FileIO.exists(dir))
        try FileIO.removeTree(dir)  // already gone is fine
        #expect(FileIO.parent(of: "/x") == "/")
        #expect(FileIO.parent(of: "x") == ".")
        #expect(FileIO.parent(of: "/a/b/c") == "/a/b")
    }

    @Test func preadStopsAtEndOfFileAndTruncateCuts() throws {
        let dir = try scratch()
        defer { try? FileIO.removeTree(dir) }
        let path = dir + "/f"
        try FileIO.writeFile(path, Array(0..<100))
        let fd = try FileIO.open(path, flags: O_RDWR)
        defer { FileIO.close(fd) }
        #expect(try FileIO.pread(fd, count: 10, at: 95, path: path) == [95, 96, 97, 98, 99])
        try FileIO.pwriteAll(fd, [7, 7], at: 0, path: path)
        try FileIO.truncate(fd, to: 4, path: path)
        #expect(try FileIO.readFile(path) == [7, 7, 2, 3])
        try FileIO.truncate(path, to: 1)
        #expect(try FileIO.fileSize(fd, path: path) == 1)
    }
}
