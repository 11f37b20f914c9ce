import Synchronization

/// Runs `body` and waits for it at most `limit`: past it, throws `timeout()`; if the caller's task
/// is cancelled first, throws `CancellationError`. Either way `body` goes on (cancelling it could
/// drop the rows a statement already committed) and what it returns after all goes to `late`
/// (to give back what it took), never to the caller.
///
/// Written by hand because the structured way cannot do it: a task group returns only when its
/// children have, and a query lost with its connection (PostgresNIO writes it to a channel that
/// closed in the meantime, and nothing completes it) never returns, cancelled or not. So `body`
/// runs in a task of its own, and the first of its result, the deadline and the caller's
/// cancellation settles the wait.
func withDeadline<T: Sendable>(
    _ limit: Duration,
    timeout: @escaping @Sendable () -> any Error,
    late: @escaping @Sendable (T) async -> Void = { _ in },
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            guard race.arm(continuation) else { return }
            Task {
                do {
                    let value = try await body()
                    if !race.settle(.success(value)) { await late(value) }
                } catch {
                    race.settle(.failure(error))
                }
            }
            race.hold(timer: Task {
                do { try await Task.sleep(for: limit) } catch { return }
                race.settle(.failure(timeout()))
            })
        }
    } onCancel: {
        race.settle(.failure(CancellationError()))
    }
}

/// The one-time meeting point of ``withDeadline(_:timeout:late:_:)``'s three outcomes.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var outcome: Result<T, any Error>?
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// Stores the caller's continuation; false when the race was settled already (the caller was
    /// cancelled before it began), in which case the continuation is resumed here.
    func arm(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let settled = state.withLock { state -> Result<T, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        guard let settled else { return true }
        continuation.resume(with: settled)
        return false
    }

    /// Keeps the deadline's task, to cancel when the race is settled; cancels it now if it is.
    func hold(timer: Task<Void, Never>) {
        let settled = state.withLock { state in
            state.timer = timer
            return state.outcome != nil
        }
        if settled { timer.cancel() }
    }

    /// Settles the race with `outcome` if nothing has yet: resumes the caller and stops the
    /// deadline's task. False when it was settled already.
    @discardableResult
    func settle(_ outcome: Result<T, any Error>) -> Bool {
        let won = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?)? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        guard let (continuation, timer) = won else { return false }
        continuation?.resume(with: outcome)
        timer?.cancel()
        return true
    }
}
