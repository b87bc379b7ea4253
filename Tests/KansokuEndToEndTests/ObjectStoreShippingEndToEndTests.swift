import Foundation
import KansokuTestSupport
import Testing

/// `kansoku server --target ingester` against a real S3 API (moto's server on loopback, stopped
/// by PID): pushes are shipped to the bucket as sealed segments and indexes, a kill -9 loses
/// nothing that was acknowledged, and the bucket alone (fetched with boto3, not with our
/// client) holds every acknowledged line exactly once, as a server reading it shows.
@Suite(.serialized) struct ObjectStoreShippingEndToEndTests {
    static let moto = Requirement("moto_server and boto3 (pip install 'moto[server]')") {
        which("moto_server") != nil && (try? runCommand(which("python3") ?? "/usr/bin/python3", ["-c", "import boto3"]))?.status == 0
    }

    /// boto3 as the bucket's independent client: create, list, download a prefix.
    static let bucketTool = """
    import os, sys, boto3
    s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
                      aws_access_key_id='AKIDTEST', aws_secret_access_key='test-secret')
    command, bucket = sys.argv[2], sys.argv[3]
    if command == 'create':
        s3.create_bucket(Bucket=bucket)
    elif command == 'list':
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket):
            for o in page.get('Contents', []):
                print(o['Key'], o['Size'])
    elif command == 'download':
        prefix, dest = sys.argv[4], sys.argv[5]
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get('Contents', []):
                path = os.path.join(dest, o['Key'][len(prefix):])
                os.makedirs(os.path.dirname(path), exist_ok=True)
                s3.download_file(bucket, o['Key'], path)

    """

    struct Bucket {
        let endpoint: String
        let script: String
        func run(_ args: String...) throws -> String {
            let r = try runCommand(which("python3")!, [script, endpoint] + args)
            guard r.status == 0 else { throw PeerProcess.PeerError.exited(r.output) }
            return r.output
        }
        func objects() throws -> [String: Int] {
            var out: [String: Int] = [:]
            for line in try run("list", "kansoku").split(separator: "\n") {
                let parts = line.split(separator: " ")
                out[String(parts[0])] = Int(parts[1])
            }
            return out
        }
    }

    static func startMoto(_ root: URL) throws -> (PeerProcess, Bucket) {
        let port = freeLoopbackPort()
        let moto = try PeerProcess(which("moto_server")!, ["-H", "127.0.0.1", "-p", "\(port)"], port: port, directory: root)
        let script = root.appendingPathComponent("bucket.py").path
        try bucketTool.write(toFile: script, atomically: true, encoding: .utf8)
        let bucket = Bucket(endpoint: "http://127.0.0.1:\(port)", script: script)
        let deadline = Date().addingTimeInterval(30)
        while (try? bucket.run("create", "kansoku")) == nil {
            guard Date() < deadline, moto.process.isRunning else { throw PeerProcess.PeerError.notReady(moto.log) }
            usleep(200_000)
        }
        return (moto, bucket)
    }

    static func lines(stream: Int, count: Int, from first: Int, base: Int64) -> [(Int64, String)] {
        (first..<(first + count)).map { i in
            (base + Int64(i) * 1_000_000 + Int64(stream), "level=\(i % 7 == 0 ? "error" : "info") stream=\(stream) seq=\(i) msg=\"request served\" took=\(i % 300)ms")
        }
    }

    @Test(.requires(TestPaths.kansoku, moto))
    func ingesterShipsEveryAcknowledgedLineOnce() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("shipping")
        let (moto, bucket) = try Self.startMoto(root)
        defer { moto.stop() }
        let config = root.appendingPathComponent("kansoku.yaml")
        try """
        storage:
          object_store:
            backend: s3
            bucket: kansoku
            endpoint: \(bucket.endpoint)
            addressing: path
            region: us-east-1
        cluster:
          ingester_id: ingester-1
          upload_interval: 1s

        """.write(to: config, atomically: true, encoding: .utf8)
        let credentials = ["AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test-secret"]
        let data = root.appendingPathComponent("data")
        let base: Int64 = 1_700_000_000_000_000_000
        var expected: [Int: [(Int64, String)]] = [:]

        var server = try ServerProcess(binary: bin, dataDir: data, config: config, extraArguments: ["--target", "ingester"],
                                       environment: credentials)
        for round in 0..<6 {
            var streams: [([String: String], [(Int64, String)])] = []
            for s in 0..<4 {
                let batch = Self.lines(stream: s, count: 500, from: round * 500, base: base)
                streams.append((["app": "ship", "stream": "s\(s)"], batch))
                expected[s, default: []] += batch
            }
            let r = try server.client.post("/loki/api/v1/push", body: LokiAPIEndToEndTests.pushBody(streams), contentType: "application/json")
            #expect(r.status == 204, "\(r.text)")
            if round == 1 { #expect(try server.client.request("POST", "/flush", headers: [:], body: Data()).status == 204) }
            if round == 3 {
                // Some of it is in shipped segments, some only in the WAL: a crash loses neither.
                Thread.sleep(forTimeInterval: 2.5)
                server.kill9()
                server = try ServerProcess(binary: bin, dataDir: data, config: config, extraArguments: ["--target", "ingester"],
                                           environment: credentials)
            }
        }
        #expect(server.stop() == 0, "\(server.log.suffix(3000))")
        #expect(!server.log.contains("upload incomplete"), "\(server.log.suffix(3000))")

        let objects = try bucket.objects()
        let segments = objects.keys.filter { $0.hasPrefix("logs/fake/ingester-1/") && $0.hasSuffix(".seg") }
        #expect(segments.count >= 2, "\(objects)")
        #expect(objects.keys.contains { $0.hasSuffix("/index") }, "\(objects)")
        let incarnation = try String(contentsOf: data.appendingPathComponent("object-store-incarnation"), encoding: .utf8)
        let prefix = "logs/fake/ingester-1/\(incarnation)/"

        // The disk is lost; the bucket is all there is.
        try FileManager.default.removeItem(at: data)
        let restored = root.appendingPathComponent("restored")
        _ = try bucket.run("download", "kansoku", prefix, restored.appendingPathComponent("logs").path)
        let reader = try ServerProcess(binary: bin, dataDir: restored)
        defer { reader.stop() }
        for s in 0..<4 {
            let q = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"ship\", stream=\"s\(s)\"}"))&start=\(base)&end=\(base + 10_000_000_000)&limit=5000&direction=forward"
            let answer = try reader.client.get(q)
            #expect(answer.status == 200, "\(answer.text)")
            let result = try #require(((try answer.json() as? [String: Any])?["data"] as? [String: Any])?["result"] as? [[String: Any]])
            let values = result.flatMap { $0["values"] as? [[String]] ?? [] }
            #expect(values.count == expected[s]!.count)
            #expect(values.map { $0[1] } == expected[s]!.map(\.1), "stream s\(s)")
        }
    }

    /// With tenancy, every object of a tenant's lies under `logs/<tenant>/`: the bucket, listed
    /// with boto3, holds exactly one prefix per tenant, and a tenant's prefix alone, read as a
    /// data directory, answers that tenant's lines and nothing of the other's.
    @Test(.requires(TestPaths.kansoku, moto))
    func eachTenantsObjectsLiveUnderItsOwnPrefix() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("shipping-tenants")
        let (moto, bucket) = try Self.startMoto(root)
        defer { moto.stop() }
        let config = root.appendingPathComponent("kansoku.yaml")
        try """
        server: { tenancy: true }
        storage:
          object_store: { backend: s3, bucket: kansoku, endpoint: "\(bucket.endpoint)", addressing: path,
                          access_key_id: AKIDTEST, secret_access_key: test-secret }
        cluster: { ingester_id: ingester-1, upload_interval: 1s }

        """.write(to: config, atomically: true, encoding: .utf8)
        let data = root.appendingPathComponent("data")
        let base: Int64 = 1_700_000_000_000_000_000
        let server = try ServerProcess(binary: bin, dataDir: data, config: config, extraArguments: ["--target", "ingester"])
        let tenants = ["team-a": Self.lines(stream: 0, count: 400, from: 0, base: base), "team-b": Self.lines(stream: 1, count: 300, from: 0, base: base)]
        for (tenant, batch) in tenants {
            let r = try server.client.request("POST", "/loki/api/v1/push", headers: ["X-Scope-OrgID": tenant, "Content-Type": "application/json"],
                                              body: LokiAPIEndToEndTests.pushBody([(["app": "shared-name"], batch)]))
            #expect(r.status == 204, "\(r.text)")
        }
        #expect(try server.client.request("POST", "/flush", headers: ["X-Scope-OrgID": "team-a"], body: Data()).status == 204)
        #expect(server.stop() == 0, "\(server.log.suffix(3000))")

        let incarnation = try String(contentsOf: data.appendingPathComponent("object-store-incarnation"), encoding: .utf8)
        let keys = try bucket.objects().keys.sorted()
        let prefixes = Set(keys.map { $0.split(separator: "/").prefix(4).joined(separator: "/") + "/" })
        #expect(prefixes == ["logs/team-a/ingester-1/\(incarnation)/", "logs/team-b/ingester-1/\(incarnation)/"], "\(keys)")
        for tenant in tenants.keys {
            let own = keys.filter { $0.hasPrefix("logs/\(tenant)/") }.map { $0.split(separator: "/").dropFirst(6).joined(separator: "/") }
            #expect(own.contains("index"), "\(keys)")
            // Segments, each with its filter index beside it.
            let segments = own.filter { $0.hasSuffix(".seg") }
            #expect(!segments.isEmpty && segments.allSatisfy { $0.hasPrefix("\(tenant)~") }, "\(keys)")
            #expect(Set(own.filter { $0 != "index" && !$0.hasSuffix(".seg") }) == Set(segments.map { $0.dropLast(4) + ".flt" }), "\(keys)")
        }

        for (tenant, batch) in tenants {
            let restored = root.appendingPathComponent("restored-\(tenant)")
            _ = try bucket.run("download", "kansoku", "logs/\(tenant)/ingester-1/\(incarnation)/", restored.appendingPathComponent("logs").path)
            let tenancy = root.appendingPathComponent("tenancy.yaml")
            try "server: { tenancy: true }\n".write(to: tenancy, atomically: true, encoding: .utf8)
            let reader = try ServerProcess(binary: bin, dataDir: restored, config: tenancy)
            defer { reader.stop() }
            let q = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"shared-name\"}"))&start=\(base)&end=\(base + 10_000_000_000)&limit=5000&direction=forward"
            for asking in tenants.keys {
                let answer = try reader.client.request("GET", q, headers: ["X-Scope-OrgID": asking], body: Data())
                #expect(answer.status == 200, "\(answer.text)")
                let result = try #require(((try answer.json() as? [String: Any])?["data"] as? [String: Any])?["result"] as? [[String: Any]])
                let values = result.flatMap { $0["values"] as? [[String]] ?? [] }.map { $0[1] }
                #expect(values == (asking == tenant ? batch.map(\.1) : []), "\(asking) reading \(tenant)'s prefix")
            }
        }
    }

    /// The bucket is down when the ingester starts: pushes are still acknowledged, failed
    /// passes are counted, and once the bucket answers the next pass ships everything.
    @Test(.requires(TestPaths.kansoku, moto))
    func shippingCatchesUpWhenTheBucketReturns() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("shipping-outage")
        let motoPort = freeLoopbackPort()
        let config = root.appendingPathComponent("kansoku.yaml")
        try """
        storage:
          object_store: { backend: s3, bucket: kansoku, endpoint: "http://127.0.0.1:\(motoPort)", addressing: path,
                          max_attempts: 2, timeout: 2s, access_key_id: AKIDTEST, secret_access_key: test-secret }
        cluster: { ingester_id: ingester-9, upload_interval: 1s }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("data"), config: config,
                                       extraArguments: ["--target", "ingester"])
        defer { server.stop() }
        let base: Int64 = 1_700_000_000_000_000_000
        let batch = Self.lines(stream: 0, count: 300, from: 0, base: base)
        let push = try server.client.post("/loki/api/v1/push", body: LokiAPIEndToEndTests.pushBody([(["app": "outage"], batch)]),
                                          contentType: "application/json")
        #expect(push.status == 204, "\(push.text)")
        #expect(try server.client.request("POST", "/flush", headers: [:], body: Data()).status == 204)
        func metric(_ name: String) throws -> Double {
            let text = try server.client.get("/metrics").text
            let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
        }
        var deadline = Date().addingTimeInterval(20)
        while try metric("kansoku_object_store_failed_objects_total") < 1, Date() < deadline { usleep(200_000) }
        #expect(try metric("kansoku_object_store_failed_objects_total") >= 1)
        #expect(try metric("kansoku_object_store_last_complete_ship_timestamp_seconds") == 0)

        let moto = try PeerProcess(which("moto_server")!, ["-H", "127.0.0.1", "-p", "\(motoPort)"], port: motoPort, directory: root)
        defer { moto.stop() }
        let script = root.appendingPathComponent("bucket.py").path
        try Self.bucketTool.write(toFile: script, atomically: true, encoding: .utf8)
        let bucket = Bucket(endpoint: "http://127.0.0.1:\(motoPort)", script: script)
        deadline = Date().addingTimeInterval(30)
        while (try? bucket.run("create", "kansoku")) == nil, Date() < deadline { usleep(200_000) }
        deadline = Date().addingTimeInterval(30)
        while try metric("kansoku_object_store_last_complete_ship_timestamp_seconds") <= 0, Date() < deadline { usleep(200_000) }
        #expect(try metric("kansoku_object_store_last_complete_ship_timestamp_seconds") > 0, "\(server.log.suffix(2000))")
        let objects = try bucket.objects()
        #expect(objects.keys.contains { $0.hasPrefix("logs/fake/ingester-9/") && $0.hasSuffix(".seg") }, "\(objects)")
        #expect(objects.keys.contains { $0.hasPrefix("logs/fake/ingester-9/") && $0.hasSuffix("/index") }, "\(objects)")
        #expect(try server.client.get("/ready").status == 200)
    }

    @Test(.requires(TestPaths.kansoku))
    func ingesterWithoutObjectStoreIsAUsageError() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("shipping-usage")
        let r = try runCommand(bin.path, ["server", "--target", "ingester", "--data-dir", root.appendingPathComponent("d").path,
                                          "--listen", "127.0.0.1:\(freeLoopbackPort())"])
        #expect(r.status == 2, "\(r.output)")
        #expect(r.output.contains("storage.object_store"), "\(r.output)")
        let bad = try runCommand(bin.path, ["server", "--target", "nonsense"])
        #expect(bad.status == 64 || bad.status == 2, "\(bad.output)")
        #expect(bad.output.contains("--target"), "\(bad.output)")
    }
}
