import Synchronization
import Testing

@testable import OutboxPostgres

/// The bound every PostgreSQL outbox call runs under: a call that never answers (as a query
/// lost with its connection) still returns, and what a late answer took is handed back.
@Suite("Outbox call deadline", .timeLimit(.minutes(1)))
struct DeadlineTests {
    struct Late: Error {}

    @Test func anAnswerInTimeIsReturned() async throws {
        let value = try await withDeadline(.seconds(5), timeout: { Late() }) { 42 }
        #expect(value == 42)
    }

    @Test func aCallThatNeverAnswersFailsAtTheDeadline() async throws {
        let start = ContinuousClock.now
        await #expect(throws: Late.self) {
            try await withDeadline(.milliseconds(200), timeout: { Late() }) { () async throws -> Int in
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }  // resumed by nobody
                return 0
            }
        }
        #expect(ContinuousClock.now - start < .seconds(5))
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

    @Test func aCancelledCallerStopsWaitingAtOnce() async throws {
        let call = Task {
            try await withDeadline(.seconds(60), timeout: { Late() }) { () async throws -> Int in
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
                return 0
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(ContinuousClock.now - start < .seconds(5))
    }
}
