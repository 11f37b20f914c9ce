import Delivery
import ConversionEngine
import MappingKit
import Synchronization

/// The live debug view's messages: one JSON object per record (or refused event) once its
/// outcome is known, fanned out to every open `/debug/events` stream whose filter it passes.
///
/// Messages carry only what the dry-run trace shows (identifiers hashed) and TikTok's answers;
/// never a raw event. Everything here is skipped while no one watches: ``isWatched`` is what
/// the ingest asks before tracing a batch.
final class DebugFeed: Sendable {
    struct Message: Sendable {
        var testEventCode: String?
        var json: JSON
        /// Shown to every viewer whatever code it watches: an event refused before its test code
        /// could be read (bad JSON, a mapping that failed) may be the one the viewer is waiting for.
        var toEveryViewer = false
    }

    private struct Subscriber {
        var testEventCode: String?
        var continuation: AsyncStream<JSON>.Continuation
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var finished = false
        /// Stored events awaiting their delivery outcome: outbox key → (message id, mapping, test code).
        var stored: [String: (messageID: String?, mapping: String, testEventCode: String?)] = [:]
        var storedOrder: [String] = []
    }

    /// Most stored events remembered for their delivery outcome; older ones are forgotten.
    static let rememberedEvents = 10_000
    /// Messages buffered per slow viewer before the oldest are dropped.
    static let bufferedMessages = 1_000

    private let state = Mutex(State())

    var isWatched: Bool { state.withLock { !$0.subscribers.isEmpty } }

    /// A stream of the messages for `testEventCode` (all of them when nil); ends at ``finish()``.
    func subscribe(testEventCode: String?) -> AsyncStream<JSON> {
        let (stream, continuation) = AsyncStream.makeStream(of: JSON.self, bufferingPolicy: .bufferingNewest(Self.bufferedMessages))
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            defer { state.nextID += 1 }
            state.subscribers[state.nextID] = Subscriber(testEventCode: testEventCode, continuation: continuation)
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                state.subscribers[id] = nil
                if state.subscribers.isEmpty {
                    state.stored.removeAll()
                    state.storedOrder.removeAll()
                }
            }
        }
        return stream
    }

    /// Ends every stream (on shutdown, so that open views do not hold it up).
    func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        subscribers.forEach { $0.continuation.finish() }
    }

    /// Publishes a message; `awaiting` (an outbox key) is remembered so that its delivery
    /// outcome can follow under the same message id.
    func publish(_ message: Message, awaiting key: String? = nil, messageID: String? = nil, mapping: String = "") {
        let targets = state.withLock { state -> [AsyncStream<JSON>.Continuation] in
            guard !state.subscribers.isEmpty else { return [] }
            if let key {
                if state.stored[key] == nil { state.storedOrder.append(key) }
                state.stored[key] = (messageID, mapping, message.testEventCode)
                if state.storedOrder.count > Self.rememberedEvents {
                    let excess = state.storedOrder.count - Self.rememberedEvents
                    for old in state.storedOrder[..<excess] { state.stored[old] = nil }
                    state.storedOrder.removeFirst(excess)
                }
            }
            return state.subscribers.values
                .filter { $0.testEventCode == nil || $0.testEventCode == message.testEventCode || message.toEveryViewer }
                .map(\.continuation)
        }
        for target in targets { target.yield(message.json) }
    }

    /// Publishes the delivery outcome of stored events.
    func settled(_ settlement: DeliverySettlement) {
        let known = state.withLock { state -> [(String, (messageID: String?, mapping: String, testEventCode: String?))] in
            guard !state.subscribers.isEmpty else { return [] }
            return settlement.keys.compactMap { key in state.stored.removeValue(forKey: key).map { (key, $0) } }
        }
        for (_, event) in known {
            var json: JSONObject = [
                "message_id": event.messageID.map(JSON.string) ?? .null,
                "mapping": .string(event.mapping),
            ]
            switch settlement.outcome {
            case .delivered(let receipt):
                json["outcome"] = "delivered"
                json["request_id"] = receipt.map(JSON.string) ?? .null
            case .deadLettered(let reason):
                json["outcome"] = "dead-lettered"
                json["reason"] = .string(reason)
            }
            json["test_event_code"] = event.testEventCode.map(JSON.string) ?? .null
            publish(Message(testEventCode: event.testEventCode, json: .object(json)))
        }
    }
}
