public import KansokuCore

/// How far one file has been stored, and what was in flight when this was written.
public struct FilePosition: Sendable, Hashable {
    /// The path the file had when last seen (it may have been renamed since).
    public var path: String
    public var identity: FileIdentity
    /// Every byte before this offset is in the store.
    public var offset: Int64
    /// The last timestamp given to a line of this file that had none of its own, so times stay
    /// increasing across restarts.
    public var lastTimestamp: Int64
    /// CRC32C of the file's first `fingerprintLength` bytes: tells a reused inode from the
    /// file that had it before.
    public var fingerprintLength: Int
    public var fingerprint: UInt32
    /// Lines handed to the store but not yet known to be acknowledged.
    public var pending: PendingRange?

    public init(path: String, identity: FileIdentity, offset: Int64, lastTimestamp: Int64 = 0,
                fingerprintLength: Int = 0, fingerprint: UInt32 = 0, pending: PendingRange? = nil) {
        self.path = path
        self.identity = identity
        self.offset = offset
        self.lastTimestamp = lastTimestamp
        self.fingerprintLength = fingerprintLength
        self.fingerprint = fingerprint
        self.pending = pending
    }
}

/// A byte range `[offset, end)` of a file whose lines were sent to the store, with what it takes
/// to turn those bytes into exactly the same entries again: the base time of lines without a
/// time of their own, the pipeline's fudge state, and a digest of the raw lines to tell
/// whether the bytes are still the same.
public struct PendingRange: Sendable, Hashable {
    public var end: Int64
    public var baseTimestamp: Int64
    public var fudgeTimestamp: Int64?
    public var checksum: UInt64
    public var lines: Int

    public init(end: Int64, baseTimestamp: Int64, fudgeTimestamp: Int64?, checksum: UInt64, lines: Int) {
        self.end = end
        self.baseTimestamp = baseTimestamp
        self.fudgeTimestamp = fudgeTimestamp
        self.checksum = checksum
        self.lines = lines
    }
}

/// The positions file: Promtail's `positions.yaml` idea, made crash-safe. It is JSON (which is
/// also YAML), replaced atomically (temporary file, fsync, rename, fsync of the directory), so a
/// crash leaves the previous or the next version, never a torn one. Fields and protocol:
/// `Tail/FORMAT.md`.
public struct PositionsFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func load() throws(PositionsError) -> [FilePosition] {
        guard let bytes = try? FileIO.readFile(path) else { return [] }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A }) { return [] }
        do {
            return try bytes.withUnsafeBytes { try Self.decode($0) }
        } catch let e as JSONSyntaxError {
            throw .malformed(path: path, e.description)
        } catch let e as PositionsError {
            throw e
        } catch {
            throw .malformed(path: path, "\(error)")
        }
    }

    public func save(_ positions: [FilePosition]) throws(FileIOError) {
        try FileIO.writeAtomically(Self.encode(positions), to: path)
    }

    static func encode(_ positions: [FilePosition]) -> [UInt8] {
        var s = "{\"version\": 1, \"files\": ["
        for (i, p) in positions.enumerated() {
            s += i == 0 ? "\n  " : ",\n  "
            var path: [UInt8] = []
            PushEncoder.appendJSONString(p.path.utf8, to: &path)
            s += "{\"path\": \(String(decoding: path, as: UTF8.self)), \"device\": \(p.identity.device), "
            s += "\"inode\": \(p.identity.inode), \"offset\": \(p.offset), \"last_ts\": \(p.lastTimestamp), "
            s += "\"fp_len\": \(p.fingerprintLength), \"fp\": \(p.fingerprint)"
            if let r = p.pending {
                s += ", \"pending\": {\"end\": \(r.end), \"base_ts\": \(r.baseTimestamp), "
                s += "\"fudge_ts\": \(r.fudgeTimestamp.map(String.init) ?? "null"), \"digest\": \(r.checksum), \"lines\": \(r.lines)}"
            }
            s += "}"
        }
        s += "\n]}\n"
        return Array(s.utf8)
    }

    static func decode(_ b: UnsafeRawBufferPointer) throws -> [FilePosition] {
        var s = JSONScanner(b)
        var out: [FilePosition] = []
        try s.forEachMember { s, key, _ in
            guard key.elementsEqual("files".utf8) else { try s.skipValue(); return }
            try s.forEachElement { s, _ in
                var p = FilePosition(path: "", identity: FileIdentity(device: 0, inode: 0), offset: 0)
                try s.forEachMember { s, key, _ in
                    switch String(decoding: key, as: UTF8.self) {
                    case "path": p.path = try s.readString()
                    case "device": p.identity.device = UInt64(bitPattern: try Self.int(&s))
                    case "inode": p.identity.inode = UInt64(bitPattern: try Self.int(&s))
                    case "offset": p.offset = try Self.int(&s)
                    case "last_ts": p.lastTimestamp = try Self.int(&s)
                    case "fp_len": p.fingerprintLength = Int(try Self.int(&s))
                    case "fp": p.fingerprint = UInt32(truncatingIfNeeded: try Self.int(&s))
                    case "pending":
                        var r = PendingRange(end: 0, baseTimestamp: 0, fudgeTimestamp: nil, checksum: 0, lines: 0)
                        try s.forEachMember { s, key, _ in
                            switch String(decoding: key, as: UTF8.self) {
                            case "end": r.end = try Self.int(&s)
                            case "base_ts": r.baseTimestamp = try Self.int(&s)
                            case "fudge_ts":
                                if try s.peekKind() == .number {
                                    r.fudgeTimestamp = try Self.int(&s)
                                } else {
                                    try s.skipValue()
                                }
                            case "digest": r.checksum = UInt64(bitPattern: try Self.int(&s))
                            case "lines": r.lines = Int(try Self.int(&s))
                            default: try s.skipValue()
                            }
                        }
                        p.pending = r
                    default: try s.skipValue()
                    }
                }
                out.append(p)
            }
        }
        return out
    }

    /// An integer (unsigned values above Int64.max keep their bit pattern).
    static func int(_ s: inout JSONScanner) throws -> Int64 {
        let r = try s.skipValue()
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: s.bytes[r]), as: UTF8.self)
        if let v = Int64(text) { return v }
        if let u = UInt64(text) { return Int64(bitPattern: u) }
        throw PositionsError.malformed(path: "", "expected an integer, found \(text)")
    }
}

/// The positions file exists but cannot be read.
public enum PositionsError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformed(path: String, String)

    public var description: String {
        switch self {
        case .malformed(let path, let why): return "positions file \(path) is malformed: \(why)"
        }
    }
}
