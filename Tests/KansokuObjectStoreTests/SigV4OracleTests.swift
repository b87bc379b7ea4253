import Foundation
import KansokuCore
@testable import KansokuObjectStore
import KansokuTestSupport
import Testing

/// The signer against botocore's `S3SigV4Auth`, the signer of the AWS SDK for Python: the
/// same randomized requests are signed by both, and every `Authorization` header must match.
@Suite struct SigV4OracleTests {
    static let botocore = Requirement.python(["botocore"], install: "pip install 'moto[server]'")

    /// One request both sides sign.
    struct Case: Codable {
        var method: String
        var scheme: String
        var host: String
        var port: Int?
        var style: String
        var bucket: String
        var key: String
        var params: [[String]]
        var headers: [[String]]
        var body: String
        var time: Int64
        var region: String
        var accessKey: String
        var secretKey: String
        var token: String?
    }

    static let keyPieces = ["logs", "tenant-a", "2026", "chunk.seg", "a b", "x+y", "p%20q", "é", "日本語", "~tilde", "semi;colon",
                            "c,d", "at@sign", "eq=ual", "amp&er", "dollar$", "q?mark", "hash#tag", "br[ack]et", "star*", "ex!cl",
                            "paren(s)", "quote'd", "colon:s", "under_score", "dot.dot", "UPPER", "tab\tin", "plus+"]
    static let paramNames = ["prefix", "list-type", "continuation-token", "uploadId", "partNumber", "uploads", "delimiter",
                             "max-keys", "x-id", "versionId", "encoding-type", "start-after", "a b", "ü"]
    static let valuePieces = ["", "1", "2", "tenant/2026-12-05/", "a b", "x+y=z", "&", "é", "~", "%41", "*", "/", "a,b;c", "日本"]
    static let headerNames = ["Content-Type", "Range", "x-amz-meta-name", "X-Amz-Meta-Note", "Content-MD5", "Cache-Control",
                              "x-amz-storage-class", "User-Agent", "If-None-Match", "Content-Disposition"]

    static func makeCases(count: Int, seed: UInt64) -> [Case] {
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        func chance(_ p: Double) -> Bool { rng.unit() < p }
        var cases: [Case] = []
        for index in 0..<count {
            let key = (0..<(1 + Int(rng.next() % 4))).map { _ in pick(keyPieces) }.joined(separator: "/")
            let params = (0..<Int(rng.next() % 5)).map { _ in
                [pick(paramNames), (0..<Int(rng.next() % 3)).map { _ in pick(valuePieces) }.joined()]
            }
            var headers: [[String]] = []
            var used = Set<String>()
            for _ in 0..<Int(rng.next() % 5) {
                let name = pick(headerNames)
                guard used.insert(name.lowercased()).inserted else { continue }
                let words = (0..<(1 + Int(rng.next() % 3))).map { _ in pick(["text/plain", "bytes=0-99", "a  b", "\tv", "x y ", "\"etag\""]) }
                headers.append([name, (chance(0.3) ? "  " : "") + words.joined(separator: pick([" ", "   ", "\t"])) + (chance(0.3) ? " " : "")])
            }
            var body: [UInt8] = []
            if index % 40 == 7 {
                body = (0..<(1_048_576 + Int(rng.next() % 2_000_000))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else if chance(0.5) {
                body = (0..<Int(rng.next() % 5000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            let secret = String((0..<40).map { _ in pick(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")) })
            cases.append(Case(
                method: pick(["GET", "PUT", "POST", "DELETE", "HEAD"]),
                scheme: pick(["http", "https"]),
                host: pick(["s3.amazonaws.com", "127.0.0.1", "minio.example.internal", "s3.eu-west-1.amazonaws.com", "Storage.Example.COM"]),
                port: pick([nil, 80, 443, 9000, 4566]),
                style: pick(["path", "virtual-hosted"]),
                bucket: pick(["logs", "kansoku-chunks", "a1-b2-c3", "bucket.with.dots"]),
                key: key, params: params, headers: headers,
                body: Data(body).base64EncodedString(),
                time: 946_684_800 + Int64(rng.next() % 1_300_000_000),
                region: pick(["us-east-1", "eu-west-1", "ap-northeast-1", "auto", "garage"]),
                accessKey: "AKIA" + String((0..<16).map { _ in pick(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")) }),
                secretKey: secret,
                token: chance(0.4) ? "FwoGZXIvYXdzE" + String(rng.next(), radix: 36) + "/+=" : nil))
        }
        return cases
    }

    static let oracleScript = """
    import base64, datetime, json, sys
    import botocore.auth
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode

    for line in open(sys.argv[1]):
        c = json.loads(line)
        netloc = c['host'] + (':%d' % c['port'] if c.get('port') else '')
        key = percent_encode(c['key'], safe='/~')
        if c['style'] == 'path':
            url = '%s://%s/%s/%s' % (c['scheme'], netloc, c['bucket'], key)
        else:
            url = '%s://%s.%s/%s' % (c['scheme'], c['bucket'], netloc, key)
        request = AWSRequest(method=c['method'], url=url, headers=dict(c['headers']),
                             data=base64.b64decode(c['body']), params=[tuple(p) for p in c['params']])
        moment = datetime.datetime.fromtimestamp(c['time'], datetime.timezone.utc).replace(tzinfo=None)
        botocore.auth.get_current_datetime = lambda moment=moment: moment
        auth = S3SigV4Auth(Credentials(c['accessKey'], c['secretKey'], c.get('token')), 's3', c['region'])
        auth.add_auth(request)
        print(json.dumps({'authorization': request.headers['Authorization'],
                          'date': request.headers['X-Amz-Date'],
                          'sha256': request.headers['X-Amz-Content-SHA256']}))

    """

    struct Signed: Codable, Equatable {
        var authorization: String
        var date: String
        var sha256: String
    }

    static func swiftSignature(_ c: Case) throws -> Signed {
        let credentials = AWSCredentials(accessKeyID: c.accessKey, secretAccessKey: c.secretKey, sessionToken: c.token)
        let endpoint = "\(c.scheme)://\(c.host)" + (c.port.map { ":\($0)" } ?? "")
        let settings = S3Settings(bucket: c.bucket, region: c.region, endpoint: endpoint,
                                  addressing: c.style == "path" ? .path : .virtualHosted, credentials: credentials)
        // Buckets with dots are refused for virtual hosting by S3Settings.problem(); the
        // address and signature themselves are still defined, so sign them directly.
        let store = S3ObjectStore(unchecked: settings)
        let query = c.params.map { ($0[0], $0[1]) }
        let (_, host, path) = store.address(key: c.key, query: query)
        let body = [UInt8](Data(base64Encoded: c.body)!)
        let headers = store.signer.sign(method: c.method, host: host, encodedPath: path, query: query,
                                        headers: c.headers.map { ($0[0], $0[1]) },
                                        payloadHash: SigV4Signer.payloadHash(body), unixSeconds: c.time)
        func header(_ name: String) -> String { headers.first { $0.0 == name }!.1 }
        return Signed(authorization: header("Authorization"), date: header("x-amz-date"), sha256: header("x-amz-content-sha256"))
    }

    @Test(.requires(botocore))
    func signaturesEqualBotocore() async throws {
        let cases = Self.makeCases(count: 240, seed: 0x5167_4A11)
        let dir = ScratchDirectory.make("sigv4")
        let input = dir + "/cases.jsonl"
        let lines = try cases.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        try Self.oracleScript.write(toFile: dir + "/oracle.py", atomically: true, encoding: .utf8)
        let run = try await offPool { try runCommand(which("python3")!, [dir + "/oracle.py", input]) }
        #expect(run.status == 0, "\(run.output.suffix(2000))")
        let answers = run.output.split(separator: "\n").map { try? JSONDecoder().decode(Signed.self, from: Data($0.utf8)) }
        try #require(answers.count == cases.count)
        var equal = 0
        for (c, expected) in zip(cases, answers) {
            let ours = try Self.swiftSignature(c)
            #expect(ours == expected, "method \(c.method) key \(c.key.debugDescription) params \(c.params) headers \(c.headers)")
            if ours == expected { equal += 1 }
        }
        #expect(equal == cases.count)
        #expect(cases.filter { Data(base64Encoded: $0.body)!.count > 1_000_000 }.count >= 5)
    }

    /// AWS's published example (GET with a Range header, docs "Signature Calculations for the
    /// Authorization Header: Transferring Payload in a Single Chunk"), so the signer is also
    /// pinned to a fixed vector without Python.
    @Test func awsDocumentedGetObjectExample() {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                             secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1")
        // 20130524T000000Z
        let headers = signer.sign(method: "GET", host: "examplebucket.s3.amazonaws.com", encodedPath: "/test.txt", query: [],
                                  headers: [("Range", "bytes=0-9")], payloadHash: SigV4Signer.emptyPayloadHash,
                                  unixSeconds: 1_369_353_600)
        #expect(headers.last!.1 == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }
}
