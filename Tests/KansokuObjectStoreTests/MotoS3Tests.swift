import Foundation
import KansokuCore
@testable import KansokuObjectStore
import KansokuTestSupport
import Testing

/// A moto S3 server (`moto_server`) on loopback, stopped by PID when the test ends.
final class MotoServer: Sendable {
    let peer: PeerProcess
    var endpoint: String { "http://127.0.0.1:\(peer.port)" }

    private init(peer: PeerProcess) { self.peer = peer }

    static func start() async throws -> MotoServer {
        let port = freeLoopbackPort()
        let dir = URL(fileURLWithPath: ScratchDirectory.make("moto"))
        let server = MotoServer(peer: try PeerProcess(which("moto_server")!, ["-H", "127.0.0.1", "-p", "\(port)"], port: port, directory: dir))
        try await waitAccepting(server.peer)
        return server
    }

    func stop() async { _ = try? await offPool { [peer] in peer.stop() } }

    func store(bucket: String = "kansoku", partSize: Int = S3Settings.minimumPartSize) -> S3ObjectStore {
        try! S3ObjectStore(settings: S3Settings(
            bucket: bucket, region: "eu-west-1", endpoint: endpoint, addressing: .path,
            credentials: AWSCredentials(accessKeyID: "AKIDKANSOKUTEST", secretAccessKey: "secret/kansoku+test"),
            partSize: partSize, maxAttempts: 3, baseBackoffMilliseconds: 20, requestTimeoutMilliseconds: 10_000))
    }

    deinit { if peer.process.isRunning { kill(peer.process.processIdentifier, SIGKILL) } }
}

@Suite struct MotoS3Tests {
    static let moto = Requirement.command("moto_server", install: "pip install 'moto[server]'")

    @Test(.requires(moto))
    func putGetRangeListDeleteOnMoto() async throws {
        let server = try await MotoServer.start()
        let store = server.store()
        try await store.createBucket()
        try await store.createBucket()  // idempotent for the owner

        let keys = ["tenant-a/2026-12-05/ing-1/000001.seg", "tenant-a/2026-12-05/ing-1/000001.idx",
                    "tenant-a/odd key/x+y=z&é;日本/(1)!*'@$,~.seg", "tenant-b/2026-12-05/ing-2/000001.seg"]
        for (i, key) in keys.enumerated() {
            try await store.put(key, Array("object \(i) \(key)".utf8))
        }
        for (i, key) in keys.enumerated() {
            #expect(try await store.get(key) == Array("object \(i) \(key)".utf8))
        }
        #expect(try await store.get(keys[2], range: 7..<9) == Array("2 ".utf8))
        #expect(try await store.list(prefix: "tenant-a/").map(\.key) == keys[0..<3].sorted())
        #expect(try await store.list(prefix: "tenant-a/2026-12-05/").map(\.size) == [
            "object 1 \(keys[1])".utf8.count, "object 0 \(keys[0])".utf8.count,
        ])
        #expect(try await store.list(prefix: "nothing/").isEmpty)

        // Empty objects and overwrites.
        try await store.put("tenant-a/empty", [])
        #expect(try await store.get("tenant-a/empty") == [])
        try await store.put(keys[0], Array("replaced".utf8))
        #expect(try await store.get(keys[0]) == Array("replaced".utf8))

        try await store.delete(keys[2])
        try await store.delete(keys[2])  // deleting twice is fine, as in S3
        #expect(await failure { _ = try await store.get(keys[2]) } == .notFound(key: keys[2]))
        #expect(await failure { _ = try await store.get("missing", range: 0..<4) } == .notFound(key: "missing"))
        #expect(try await store.list(prefix: "tenant-a/").count == 3)
        await server.stop()
    }

    @Test(.requires(moto))
    func multipartUploadAndListPagination() async throws {
        let server = try await MotoServer.start()
        let store = server.store()
        try await store.createBucket()
        var rng = SplitMix64(seed: 42)
        let big = (0..<(12 * 1024 * 1024 + 12345)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let before = store.traffic.requests.load(ordering: .relaxed)
        try await store.put("big/object", big)
        // Create, three parts, complete.
        #expect(store.traffic.requests.load(ordering: .relaxed) - before == 5)
        #expect(try await store.get("big/object") == big)
        #expect(try await store.get("big/object", range: 5_242_000..<5_243_000) == Array(big[5_242_000..<5_243_000]))
        #expect(try await store.list(prefix: "big/") == [ObjectInfo(key: "big/object", size: big.count)])

        // More keys than one list page holds (1000).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in stride(from: worker, to: 1010, by: 8) {
                        try await store.put(String(format: "many/%05d", i), [UInt8(i & 0xFF)])
                    }
                }
            }
            try await group.waitForAll()
        }
        let listed = try await store.list(prefix: "many/")
        #expect(listed.count == 1010)
        #expect(listed.map(\.key) == (0..<1010).map { String(format: "many/%05d", $0) })
        await server.stop()
    }

    @Test(.requires(moto))
    func missingBucketIsAnErrorNotEmpty() async throws {
        let server = try await MotoServer.start()
        let store = server.store(bucket: "never-created")
        defer { kill(server.peer.process.processIdentifier, SIGKILL) }
        #expect(await failure { _ = try await store.list(prefix: "") } != nil)
        let error = await failure { try await store.put("a", [1]) }
        guard case .httpStatus(404, let code, _, _)? = error else {
            Issue.record("put into a missing bucket: \(String(describing: error))")
            return
        }
        #expect(code == "NoSuchBucket")
    }
}
