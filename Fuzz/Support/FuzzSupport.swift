import Foundation
import Synchronization
#if FUZZING
import CFuzzDriver
#endif

/// What every fuzz target shares: its `main`, which hands the target to libFuzzer in a
/// fuzzing build and otherwise replays saved inputs through it (so `make test` replays seeds
/// and crash inputs in a plain build), and a bridge from the synchronous callback to the
/// async query engines.
public enum FuzzSupport {
    /// One input: bytes and count, as libFuzzer passes them.
    public typealias Target = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    /// Fuzzes `target` (a fuzzing build) or replays the files and directories named on the
    /// command line through it (a plain build).
    public static func main(_ target: Target) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, target))
        #else
        replay(Array(CommandLine.arguments.dropFirst()), target)
        #endif
    }

    /// Runs every file named on the command line (directories recursively, in name order)
    /// through `body`; exits non-zero when no input was found, so a mistyped path fails loudly.
    /// Inside directories, files ending in `.open` are skipped: they are crashes whose fix has
    /// not landed yet, replayed only when named on their own.
    public static func replay(_ arguments: [String], _ body: Target) -> Never {
        var files: [String] = []
        let fm = FileManager.default
        for arg in arguments {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: arg, isDirectory: &isDir) else { continue }
            if isDir.boolValue {
                let found = (fm.enumerator(atPath: arg)?.allObjects as? [String] ?? []).sorted()
                for rel in found {
                    let path = arg + "/" + rel
                    var sub: ObjCBool = false
                    if fm.fileExists(atPath: path, isDirectory: &sub), !sub.boolValue, !rel.hasSuffix(".open") {
                        files.append(path)
                    }
                }
            } else {
                files.append(arg)
            }
        }
        guard !files.isEmpty else {
            FileHandle.standardError.write(Data("no inputs in \(arguments)\n".utf8))
            exit(2)
        }
        // FUZZ_TRACE=1 names each input before it runs, to find the one that stops a replay.
        let trace = ProcessInfo.processInfo.environment["FUZZ_TRACE"] != nil
        for path in files {
            guard let data = fm.contents(atPath: path) else { continue }
            if trace { FileHandle.standardError.write(Data("\(path)\n".utf8)) }
            let bytes = [UInt8](data)
            // An empty input still needs a valid pointer.
            _ = (bytes.isEmpty ? [0] : bytes).withUnsafeBufferPointer { body($0.baseAddress!, bytes.count) }
        }
        print("replayed \(files.count) inputs")
        exit(0)
    }

    /// Runs `body` on the concurrency pool and waits for it: libFuzzer calls the target on
    /// a plain thread and each input must be finished before the next one starts.
    public static func block(_ body: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await body()
            done.signal()
        }
        done.wait()
    }

    /// A fresh directory under the system temporary directory, removed when the process exits
    /// normally (libFuzzer's `-max_total_time` ends with `exit`).
    public static func scratchDirectory(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "kansoku-fuzz-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        scratch.withLock { $0.append(dir) }
        if scratch.withLock({ $0.count }) == 1 {
            atexit {
                for d in FuzzSupport.scratch.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: d) }
            }
        }
        return dir
    }

    static let scratch = Mutex<[String]>([])

    /// The input as text (invalid UTF-8 repaired, as servers do with request bodies).
    public static func text(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    }

    /// The input as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }
}
