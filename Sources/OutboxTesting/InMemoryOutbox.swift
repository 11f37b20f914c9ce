import Delivery
import Foundation
import Synchronization

/// An ``OutboxStore`` that keeps everything in memory, for tests of code that embeds the
/// engine: it keeps every promise of the contract (``OutboxContract``) but durability, since
/// what it holds is gone with the process. Never use it where an accepted event must survive.
///
/// ```swift
/// let outbox = InMemoryOutbox()
/// try await outbox.enqueue(messages, destination: "tiktok:set-1")
/// ```
public final class InMemoryOutbox: OutboxStore {
    public let location: String

    public init(location: String = "memory") {
        self.location = location
    }

    public var damageFound: OutboxError? { nil }

    private struct Pending {
        var id: Int64
        var destination: String
        var message: OutboxMessage
        var attempts = 0
        var claimed = false
    }

    private struct State {
        var nextID: Int64 = 1
        /// In enqueue order (ids only grow), so the first unclaimed of a destination is its oldest.
        var pending: [Int64: Pending] = [:]
        var order: [Int64] = []
        /// (destination, key) of every pending message: what makes enqueue idempotent.
        var keys: Set<DestinationKey> = []
        var deadLetters: [DeadLetter] = []

        mutating func take() -> Int64 {
            defer { nextID += 1 }
            return nextID
        }

        mutating func remove(_ id: Int64) -> Pending? {
            guard let entry = pending.removeValue(forKey: id) else { return nil }
            keys.remove(DestinationKey(destination: entry.destination, key: entry.message.key))
            return entry
        }

        mutating func compact() {
            if order.count > 64 && order.count > 2 * pending.count { order.removeAll { pending[$0] == nil } }
        }
    }

    private struct DestinationKey: Hashable {
        var destination: String
        var key: String
    }

    private let state = Mutex(State())

    @discardableResult
    public func enqueue(_ messages: [OutboxMessage], destination: String) async throws -> EnqueueResult {
        state.withLock { state in
            var inserted = 0
            for message in messages where state.keys.insert(DestinationKey(destination: destination, key: message.key)).inserted {
                let id = state.take()
                state.pending[id] = Pending(id: id, destination: destination, message: message)
                state.order.append(id)
                inserted += 1
            }
            return EnqueueResult(inserted: inserted, duplicates: messages.count - inserted)
        }
    }

    public func claim(destination: String, limits: OutboxBatchLimits, minimumCount: Int) async throws -> [OutboxEntry] {
        state.withLock { state in
            var chosen: [Int64] = []
            var bytes = 0
            for id in state.order {
                guard let entry = state.pending[id], entry.destination == destination, !entry.claimed else { continue }
                let size = entry.message.payload.count
                if !chosen.isEmpty && bytes + size > limits.maxBytes { break }
                chosen.append(id)
                bytes += size
                if chosen.count == limits.maxCount { break }
            }
            guard chosen.count >= minimumCount else { return [] }
            return chosen.map { id in
                state.pending[id]!.claimed = true
                let entry = state.pending[id]!
                return OutboxEntry(id: id, key: entry.message.key, payload: entry.message.payload, attempts: entry.attempts)
            }
        }
    }

    public func confirm(_ ids: [Int64]) async throws {
        state.withLock { state in
            for id in ids { _ = state.remove(id) }
            state.compact()
        }
    }

    public func recordFailure(_ ids: [Int64], reason: String) async throws {
        state.withLock { state in
            for id in ids { state.pending[id]?.attempts += 1 }
        }
    }

    public func release(_ ids: [Int64]) {
        state.withLock { state in
            for id in ids { state.pending[id]?.claimed = false }
        }
    }

    public func deadLetter(_ refusals: [(id: Int64, reason: String)]) async throws {
        state.withLock { state in
            for (id, reason) in refusals {
                guard let entry = state.remove(id) else { continue }
                state.deadLetters.append(DeadLetter(
                    id: state.take(), destination: entry.destination, key: entry.message.key, payload: entry.message.payload,
                    reason: reason, attempts: entry.attempts + 1, failedAt: Date()))
            }
            state.compact()
        }
    }

    public func counts(destination: String?) async throws -> OutboxCounts {
        state.withLock { state in
            let pending = state.pending.values.filter { destination == nil || $0.destination == destination }
            return OutboxCounts(
                pending: pending.count, leased: pending.count { $0.claimed },
                deadLetters: state.deadLetters.count { destination == nil || $0.destination == destination })
        }
    }

    public func check() async throws -> OutboxCheck {
        state.withLock { OutboxCheck(problems: [], pending: $0.pending.count, deadLetters: $0.deadLetters.count, batches: nil) }
    }

    public func deadLetters(destination: String?, limit: Int, after id: Int64) async throws -> [DeadLetter] {
        state.withLock { state in
            Array(state.deadLetters.lazy.filter { $0.id > id && (destination == nil || $0.destination == destination) }.prefix(limit))
        }
    }

    @discardableResult
    public func replayDeadLetters(ids: [Int64]?) async throws -> Int {
        state.withLock { state in
            let chosen = ids.map(Set.init)
            var moved = 0
            var kept: [DeadLetter] = []
            for letter in state.deadLetters {
                guard chosen?.contains(letter.id) ?? true else {
                    kept.append(letter)
                    continue
                }
                moved += 1
                guard state.keys.insert(DestinationKey(destination: letter.destination, key: letter.key)).inserted else { continue }
                let id = state.take()
                state.pending[id] = Pending(id: id, destination: letter.destination, message: OutboxMessage(key: letter.key, payload: letter.payload))
                state.order.append(id)
            }
            state.deadLetters = kept
            return moved
        }
    }

    @discardableResult
    public func purgeDeadLetters(ids: [Int64]?) async throws -> Int {
        state.withLock { state in
            let before = state.deadLetters.count
            if let ids {
                let chosen = Set(ids)
                state.deadLetters.removeAll { chosen.contains($0.id) }
            } else {
                state.deadLetters.removeAll()
            }
            return before - state.deadLetters.count
        }
    }

    public func pendingDestinations() async throws -> [String] {
        state.withLock { Set($0.pending.values.map(\.destination)).sorted() }
    }

    /// Claims are exclusive within the process, so any number of deliverers may share it.
    public func lockForDelivery() throws(DeliveryFailure) -> any OutboxDeliveryLock { NoLock() }

    private struct NoLock: OutboxDeliveryLock {
        func release() {}
    }
}
