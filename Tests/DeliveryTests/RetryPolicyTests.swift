import Delivery
import ConversionEngine
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(1), maxElapsed: .seconds(10))

    @Test(arguments: [(1, 100), (2, 200), (3, 400), (4, 800)])
    func delaysStayWithinTheExponentialCeiling(attempt: Int, ceilingMilliseconds: Int) {
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<200).compactMap { _ in policy.delay(afterAttempt: attempt, elapsed: .zero, using: &generator) }
        #expect(delays.count == 200)
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(ceilingMilliseconds) })
        #expect(delays.contains { $0 > .milliseconds(ceilingMilliseconds) / 2 }, "full jitter spreads over the whole range")
        #expect(Set(delays).count > 100, "jittered, not fixed")
    }

    @Test func theCeilingIsCappedAtMaxDelay() {
        let generous = RetryPolicy(maxAttempts: 100, baseDelay: .milliseconds(100), maxDelay: .seconds(1), maxElapsed: .seconds(1_000))
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<100).compactMap { _ in generous.delay(afterAttempt: 70, elapsed: .zero, using: &generator) }
        #expect(delays.count == 100 && delays.allSatisfy { $0 <= .seconds(1) })
    }

    @Test func givesUpAfterMaxAttempts() {
        #expect(policy.delay(afterAttempt: 4, elapsed: .zero) != nil)
        #expect(policy.delay(afterAttempt: 5, elapsed: .zero) == nil)
    }

    @Test func givesUpWhenTheNextAttemptWouldStartTooLate() {
        #expect(policy.delay(afterAttempt: 1, elapsed: .seconds(9), retryAfter: .seconds(2)) == nil)
        #expect(policy.delay(afterAttempt: 1, elapsed: .seconds(11)) == nil)
    }

    @Test func retryAfterWinsWhenLonger() {
        #expect(policy.delay(afterAttempt: 1, elapsed: .zero, retryAfter: .seconds(3)) == .seconds(3))
    }
}
