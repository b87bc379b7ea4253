import Foundation
import KansokuCore
public import Logging

/// Copies a data directory's finished files into an object store under a prefix, and keeps
/// the copy in step: new files are uploaded, files replaced whole are uploaded again when
/// their content changes, and objects whose file is gone (merged away by compaction, or
/// dropped by retention) are deleted.
///
/// An ingester runs one per store: its chunks and indexes become readable by queriers
/// without the ingester, and survive the loss of its disk.
public actor DirectoryShipper {
    /// A file to keep in the bucket.
    public struct File: Sendable, Hashable {
        /// Relative to the shipped directory; also the key below the prefix.
        public let relativePath: String
        /// Written once and never changed (a sealed segment), so an object of the same size
        /// is the same file; otherwise (an index replaced whole) its CRC decides.
        public let immutable: Bool
        /// The object's bytes when they are not the file's own (an index narrowed to one
        /// tenant); nil reads the file.
        public let contents: [UInt8]?

        public init(relativePath: String, immutable: Bool, contents: [UInt8]? = nil) {
            self.relativePath = relativePath
            self.immutable = immutable
            self.contents = contents
        }
    }

    /// What one pass did.
    public struct Report: Sendable, Equatable {
        public var uploaded: [String] = []
        public var uploadedBytes = 0
        public var deleted: [String] = []
        /// Files that could not be shipped this pass, with why; the next pass tries again.
        public var failed: [String: String] = [:]

        public init() {}
    }

    public let store: any ObjectStore
    public let directory: String
    public nonisolated let prefix: String
    private let logger: Logger
    /// What the bucket holds under the prefix, as last seen: size, and the CRC of files
    /// replaced whole (nil when only listed).
    private var shipped: [String: (size: Int, crc: UInt32?)]?
    /// Files listed on disk by an earlier pass of this process.
    private var seenLocally: Set<String> = []

    /// - Parameter prefix: the key prefix, ending in `/` (e.g. `logs/fake/ingester-1/0123abcd/`).
    public init(store: any ObjectStore, directory: String, prefix: String, logger: Logger) {
        self.store = store
        self.directory = directory
        self.prefix = prefix
        self.logger = logger
    }

    /// Ships `files`, immutable ones first so an index never names a segment the bucket lacks,
    /// then deletes objects under the prefix whose file is no longer listed.
    public func ship(_ files: [File]) async -> Report {
        var report = Report()
        if shipped == nil {
            do {
                var known: [String: (size: Int, crc: UInt32?)] = [:]
                for object in try await store.list(prefix: prefix) {
                    known[String(object.key.dropFirst(prefix.count))] = (object.size, nil)
                }
                shipped = known
            } catch {
                report.failed[prefix] = "\(error)"
                return report
            }
        }
        let ordered = files.filter(\.immutable) + files.filter { !$0.immutable }
        for file in ordered {
            let known = shipped?[file.relativePath]
            let path = directory + "/" + file.relativePath
            if file.immutable, let known, let size = Self.fileSize(path), size == known.size { continue }
            let bytes: [UInt8]
            if let contents = file.contents {
                bytes = contents
            } else if let data = FileManager.default.contents(atPath: path) {
                bytes = [UInt8](data)
            } else {
                // Removed between listing and reading (compaction): the next pass deletes its object.
                continue
            }
            let crc = CRC32C.checksum(bytes)
            if !file.immutable, let known, known.size == bytes.count, known.crc == crc { continue }
            do {
                try await store.put(prefix + file.relativePath, bytes)
                shipped?[file.relativePath] = (bytes.count, crc)
                report.uploaded.append(file.relativePath)
                report.uploadedBytes += bytes.count
            } catch {
                report.failed[file.relativePath] = "\(error)"
            }
        }
        // Only files this process saw on disk and then saw go are deleted: objects it merely
        // found in the bucket may be all that is left of a lost disk.
        let listed = Set(files.map(\.relativePath))
        for relative in seenLocally.subtracting(listed).sorted() {
            do {
                try await store.delete(prefix + relative)
                shipped?[relative] = nil
                seenLocally.remove(relative)
                report.deleted.append(relative)
            } catch {
                report.failed[relative] = "\(error)"
            }
        }
        seenLocally.formUnion(listed)
        if !report.failed.isEmpty {
            logger.warning("object store upload incomplete; retrying next pass",
                           metadata: ["failed": "\(report.failed.count)", "first": "\(report.failed.first!.value)"])
        }
        return report
    }

    private static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }
}
