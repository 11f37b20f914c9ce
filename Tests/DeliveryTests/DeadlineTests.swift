import Synchronization
import Testing

@testable import OutboxPostgres

/// The bound every PostgreSQL outbox call runs under: a call that never answers (as a query
/// lost with its connection) still returns, and what a late answer took is handed back.
@Suite("Outbox call deadline", .timeLimit(.minutes(5)))
struct DeadlineTests {
    struct Late: Error {}

    @Test func anAnswerInTimeIsReturned() async throws {
        let value = try await withDeadline(.seconds(5), timeout: { Late() }) { 42 }
        #expect(value == 42)
    }

    /// Returning at all is the point (the body never does); how soon depends on a busy machine.
    @Test func aCallThatNeverAnswersFailsAtTheDeadline() async throws {
        await #expect(throws: Late.self) {
            try await withDeadline(.milliseconds(200), timeout: { Late() }) { () async throws -> Int in
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }  // resumed by nobody
                return 0
            }
        }
    }

    @Test func aLateAnswerGoesToLateNotToTheCaller() async throws {
        let handedBack = Mutex<Int?>(nil)
        await #expect(throws: Late.self) {
            try await withDeadline(.milliseconds(50), timeout: { Late() }, late: { value in handedBack.withLock { $0 = value } }) {
                try await Task.sleep(for: .milliseconds(400))
                return 7
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while handedBack.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(handedBack.withLock { $0 } == 7)
    }

    /// The deadline is an hour away: a `CancellationError` can only come from the cancellation.
    @Test func aCancelledCallerStopsWaiting() async throws {
        let call = Task {
            try await withDeadline(.seconds(3600), timeout: { Late() }) { () async throws -> Int in
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
                return 0
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
    }
}
