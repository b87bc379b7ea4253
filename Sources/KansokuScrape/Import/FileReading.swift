#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

struct FileReadError: Error, CustomStringConvertible {
    var description: String
}

/// The whole file at `path`.
func readWholeFile(_ path: String) throws(FileReadError) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw FileReadError(description: String(cString: strerror(errno))) }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FileReadError(description: String(cString: strerror(errno)))
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}
