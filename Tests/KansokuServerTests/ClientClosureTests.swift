@testable import KansokuServer
import Synchronization
import Testing

@Suite struct ClientClosureTests {
    final class Polls: Sendable {
        let count = Atomic<Int>(0)
        func load() -> Int { count.load(ordering: .relaxed) }
    }

    /// A body that runs until cancelled, counting how often it looked.
    static func spinUntilCancelled(_ polls: Polls) async throws -> Int {
        while true {
            polls.count.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func closingTheClientCancelsTheBodyWith499() async throws {
        let closure = ClientClosure()
        let polls = Polls()
        let outcome = Task {
            try await ClientClosure.$current.withValue(closure) {
                try await ClientClosure.cancellingOnClose { try await Self.spinUntilCancelled(polls) }
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        closure.markClosed()
        let error = await #expect(throws: APIError.self) { _ = try await outcome.value }
        #expect(error?.status.code == 499)
        #expect(error?.kind == .canceled)
        // The body stopped: it polls no more once cancelled.
        let after = polls.load()
        try await Task.sleep(for: .milliseconds(50))
        #expect(polls.load() == after)
    }

    @Test func aBodyThatFinishesFirstReturnsItsValueAndLeavesNoWaiter() async throws {
        let closure = ClientClosure()
        let v = try await ClientClosure.$current.withValue(closure) {
            try await ClientClosure.cancellingOnClose { 42 }
        }
        #expect(v == 42)
        // Closing afterwards resumes nobody and does not trap.
        closure.markClosed()
        closure.markClosed()
    }

    @Test func anAlreadyClosedClientStopsTheBodyAtOnce() async throws {
        let closure = ClientClosure()
        closure.markClosed()
        let polls = Polls()
        await #expect(throws: APIError.self) {
            try await ClientClosure.$current.withValue(closure) {
                try await ClientClosure.cancellingOnClose { try await Self.spinUntilCancelled(polls) }
            }
        }
    }

    @Test func withoutAConnectionTheBodyJustRuns() async throws {
        #expect(try await ClientClosure.cancellingOnClose { "cli" } == "cli")
    }
}
