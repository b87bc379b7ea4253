import Foundation
@testable import KansokuObjectStore
import KansokuTestSupport
import Testing

/// Retries, backoff and timeouts against a scripted HTTP server (Python's http.server) that
/// answers 503 SlowDown, hangs, or serves, as told.
@Suite struct RetryTests {
    static let script = """
    import sys, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    failures = int(sys.argv[2])
    seen = {'n': 0}
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_GET(self):
            seen['n'] += 1
            if self.path.endswith('/slow'):
                time.sleep(60)
            if seen['n'] <= failures:
                body = b'<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'
                self.send_response(503)
            elif self.path.endswith('/denied'):
                body = b'<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>'
                self.send_response(403)
            else:
                body = b'served after %d' % seen['n']
                self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()

    """

    static func server(failures: Int) async throws -> PeerProcess {
        let dir = ScratchDirectory.make("s3retry")
        try script.write(toFile: dir + "/server.py", atomically: true, encoding: .utf8)
        let port = freeLoopbackPort()
        let peer = try PeerProcess(which("python3")!, [dir + "/server.py", "\(port)", "\(failures)"], port: port,
                                   directory: URL(fileURLWithPath: dir))
        try await waitAccepting(peer)
        return peer
    }

    static func store(port: Int, attempts: Int, timeout: Int64 = 5_000) throws -> S3ObjectStore {
        try S3ObjectStore(settings: S3Settings(
            bucket: "b", endpoint: "http://127.0.0.1:\(port)", addressing: .path,
            credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "s"),
            maxAttempts: attempts, baseBackoffMilliseconds: 10, maxBackoffMilliseconds: 50, requestTimeoutMilliseconds: timeout))
    }

    @Test(.requires(.python3))
    func slowDownIsRetriedUntilServed() async throws {
        let peer = try await Self.server(failures: 2)
        defer { kill(peer.process.processIdentifier, SIGKILL) }
        let store = try Self.store(port: peer.port, attempts: 3)
        #expect(try await store.get("k") == Array("served after 3".utf8))
        #expect(store.traffic.retries.load(ordering: .relaxed) == 2)
    }

    @Test(.requires(.python3))
    func slowDownPastTheLastAttemptIsReported() async throws {
        let peer = try await Self.server(failures: 5)
        defer { kill(peer.process.processIdentifier, SIGKILL) }
        let store = try Self.store(port: peer.port, attempts: 2)
        #expect(await failure { _ = try await store.get("k") }
            == .httpStatus(503, code: "SlowDown", message: "Please reduce your request rate.", key: "k"))
    }

    @Test(.requires(.python3))
    func accessDeniedIsNotRetried() async throws {
        let peer = try await Self.server(failures: 0)
        defer { kill(peer.process.processIdentifier, SIGKILL) }
        let store = try Self.store(port: peer.port, attempts: 5)
        #expect(await failure { _ = try await store.get("denied") }
            == .accessDenied(key: "denied", message: "SignatureDoesNotMatch: no"))
        #expect(store.traffic.requests.load(ordering: .relaxed) == 1)
    }

    @Test(.requires(.python3))
    func timeoutsAndRefusedConnectionsAreUnreachable() async throws {
        let peer = try await Self.server(failures: 0)
        defer { kill(peer.process.processIdentifier, SIGKILL) }
        let slow = try Self.store(port: peer.port, attempts: 2, timeout: 300)
        // The server answers after a minute: an error at all means the timeout ended both attempts.
        let slowError = await failure { _ = try await slow.get("slow") }
        guard case .unreachable? = slowError else {
            Issue.record("a hanging server: \(String(describing: slowError))")
            return
        }
        #expect(slow.traffic.requests.load(ordering: .relaxed) == 2)

        let refused = try Self.store(port: freeLoopbackPort(), attempts: 3)
        let refusedError = await failure { _ = try await refused.get("k") }
        guard case .unreachable? = refusedError else {
            Issue.record("a closed port: \(String(describing: refusedError))")
            return
        }
        #expect(refused.traffic.retries.load(ordering: .relaxed) == 2)
    }

    @Test func settingsAreChecked() {
        let credentials = AWSCredentials(accessKeyID: "a", secretAccessKey: "s")
        #expect(S3Settings(bucket: "", credentials: credentials).problem() != nil)
        #expect(S3Settings(bucket: "has.dots", credentials: credentials).problem() != nil)
        #expect(S3Settings(bucket: "has.dots", addressing: .path, credentials: credentials).problem() == nil)
        #expect(S3Settings(bucket: "b", endpoint: "ftp://x", credentials: credentials).problem() != nil)
        #expect(S3Settings(bucket: "b", endpoint: "http://x:99999", credentials: credentials).problem() != nil)
        #expect(S3Settings(bucket: "b", credentials: credentials, partSize: 1024).problem() != nil)
        #expect(AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "id"]) == nil)
        #expect(AWSCredentials.fromEnvironment(["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "k", "AWS_SESSION_TOKEN": "t"])
            == AWSCredentials(accessKeyID: "id", secretAccessKey: "k", sessionToken: "t"))
    }
}
