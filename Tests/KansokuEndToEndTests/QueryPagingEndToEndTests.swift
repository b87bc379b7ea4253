import Foundation
import KansokuTestSupport
import Testing

/// `kansoku query` past the server's per-query line limit: paged as logcli pages, every line
/// once; and queries that begin with "-".
@Suite(.serialized, .requires(TestPaths.kansoku)) struct QueryPagingEndToEndTests {
    @Test func limitAboveTheServerMaximumIsPaged() throws {
        let bin = try #require(TestPaths.binary)
        let server = try ServerProcess(binary: bin, dataDir: TestPaths.makeTempDir("query-paging").appendingPathComponent("data"))
        defer { server.stop() }
        let pushed = try PagingData.push(to: server)
        for direction in [[], ["--forward"]] {
            let r = try runCommand(bin.path, ["query", "--addr", server.addr, "--since", "1h", "--limit", "20000", "--batch", "1000",
                                              "-o", "raw"] + direction + [#"{app="pager"}"#])
            #expect(r.status == 0, "\(r.output.prefix(500))")
            let lines = r.output.split(separator: "\n").map(String.init)
            #expect(lines.count == pushed.count, "\(direction)")
            #expect(Set(lines) == Set(pushed))
            // Three lines share each timestamp (line number / 3): their order among themselves is free.
            let instants = lines.compactMap { Int($0.split(separator: " ")[2]).map { $0 / 3 } }
            #expect(instants == (direction.isEmpty ? instants.sorted(by: >) : instants.sorted()), "lines in time order")
        }
        let limited = try runCommand(bin.path, ["query", "--addr", server.addr, "--limit", "2500", "-o", "raw", #"{app="pager"}"#])
        #expect(limited.output.split(separator: "\n").count == 2500)
        let tooBig = try runCommand(bin.path, ["query", "--addr", server.addr, "--limit", "20000", "--batch", "6000", #"{app="pager"}"#])
        #expect(tooBig.status == 1)
        #expect(tooBig.output.contains("max entries limit"))
    }

    @Test func aQueryStartingWithMinusGoesAfterTheDoubleDash() throws {
        let bin = try #require(TestPaths.binary)
        let server = try ServerProcess(binary: bin, dataDir: TestPaths.makeTempDir("query-minus").appendingPathComponent("data"))
        defer { server.stop() }
        let r = try runCommand(bin.path, ["query", "--addr", server.addr, "--instant", "--", "-1 + 2"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output == "1\n")
        let help = try runCommand(bin.path, ["query", "--help"])
        #expect(help.output.contains(#"A query that starts with "-" goes after "--""#))
        #expect(help.output.contains("--batch"))
    }
}
