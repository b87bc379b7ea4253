import Dispatch
import Foundation
import KansokuTestSupport

/// Runs blocking work (a child process to completion, a peer's shutdown) on a Dispatch thread,
/// so tests running beside this one keep the cooperative pool's few threads.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// Whether something accepts TCP connections on the loopback port (a refused connect on
/// loopback returns at once).
func acceptsConnections(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}

/// Waits, without blocking a thread, until the peer accepts connections.
/// The port is checked once more after the deadline: on a loaded machine the waiting task may
/// itself wake up late.
func waitAccepting(_ peer: PeerProcess, seconds: Double = 90) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if acceptsConnections(port: peer.port) { return }
        if !peer.process.isRunning { throw PeerProcess.PeerError.exited(peer.log) }
        if Date() > deadline { throw PeerProcess.PeerError.notReady(peer.log) }
        try await Task.sleep(for: .milliseconds(100))
    }
}
