import AsyncHTTPClient
import Foundation
import KansokuTestSupport

extension PeerProcess {
    /// Polls `http://127.0.0.1:port<path>` until it answers 200.
    func waitReady(path: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw PeerError.exited(log) }
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            if let r = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), r.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw PeerError.notReady(log)
    }
}
