import Synchronization

/// Lets batches that are processed at once pass one step in input order: a stage (an outbox
/// sink) awaits ``Turn/earlierBatchesFinished()`` before storing, so the outbox accepts
/// batches in the order they were read even when a later one is ready first.
///
/// ``Ingest/run(_:batchSize:parallelBatches:observe:prepare:consume:)`` numbers each batch,
/// hands its turn to the stages through ``StageContext/turn``, and finishes the turn when the
/// batch is done, whatever happened to it (no records, a stage that threw), so no batch waits
/// for one that never comes.
public final class InputOrder: Sendable {
    /// One batch's place in the input.
    public struct Turn: Sendable {
        let order: InputOrder
        let number: Int

        /// Returns once every earlier batch has finished.
        public func earlierBatchesFinished() async {
            await order.wait(for: number)
        }
    }

    private struct State {
        var issued = 0
        /// Batches 0..<finishedThrough have all finished.
        var finishedThrough = 0
        var finishedAhead = Set<Int>()
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The next batch's turn.
    public func next() -> Turn {
        Turn(order: self, number: state.withLock { state in
            defer { state.issued += 1 }
            return state.issued
        })
    }

    /// Marks `turn`'s batch finished, letting the next one through once all before it are.
    public func finish(_ turn: Turn) {
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.finishedAhead.insert(turn.number)
            var ready: [CheckedContinuation<Void, Never>] = []
            while state.finishedAhead.remove(state.finishedThrough) != nil {
                state.finishedThrough += 1
                if let waiter = state.waiters.removeValue(forKey: state.finishedThrough) { ready.append(waiter) }
            }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    private func wait(for number: Int) async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.finishedThrough >= number { return true }
                state.waiters[number] = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }
}
