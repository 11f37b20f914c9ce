import Delivery
import ConversionEngine
import MappingKit
import NIOCore
import Synchronization

/// The live debug view's messages: one JSON object per record (or refused event) once its
/// outcome is known, kept in one bounded log that every open `/debug/events` stream reads at
/// its own pace.
///
/// ```
/// ingest, delivery ──publish──▶ log (newest `logMessages`, ≤ `logBytes`) ◀──read── viewer 1, viewer 2, …
/// ```
///
/// What a viewer costs is fixed: the log is shared (each message serialized once, however many
/// watch), and a viewer holds only its place in it. A viewer that falls behind, or never reads,
/// loses the messages the log no longer holds and is told how many, in a message of its own
/// (`"outcome":"dropped"`); it never makes the log, or ingest, wait. Each viewer is written at
/// most every ``flushInterval``, at most ``messagesPerFlush`` a time, so that many viewers cannot
/// take the cores ingest needs.
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

    /// One message of the log, serialized once as an SSE `data:` block.
    private struct Entry {
        var testEventCode: String?
        var toEveryViewer: Bool
        var frame: ByteBuffer

        func isShown(to code: String?) -> Bool {
            code == nil || toEveryViewer || testEventCode == code
        }
    }

    private struct State {
        /// The log: `entries[head...]` are the messages numbered `firstSequence...`.
        var entries: [Entry] = []
        var head = 0
        var firstSequence = 0
        var bytes = 0
        var viewers = 0
        var finished = false
        /// Stored events awaiting their delivery outcome: outbox key → (message id, mapping, test code).
        var stored: [String: (messageID: String?, mapping: String, testEventCode: String?)] = [:]
        var storedOrder: [String] = []

        var endSequence: Int { firstSequence + entries.count - head }

        mutating func append(_ entry: Entry) {
            entries.append(entry)
            bytes += entry.frame.readableBytes
            while entries.count - head > DebugFeed.logMessages || (bytes > DebugFeed.logBytes && entries.count - head > 1) {
                bytes -= entries[head].frame.readableBytes
                entries[head] = Entry(testEventCode: nil, toEveryViewer: false, frame: ByteBuffer())
                head += 1
                firstSequence += 1
            }
            if head > DebugFeed.logMessages {
                entries.removeFirst(head)
                head = 0
            }
        }
    }

    /// Most messages the log keeps, and most bytes (whichever is reached first).
    static let logMessages = 2_000
    static let logBytes = 8 << 20
    /// A viewer is written at most this often, and at most ``messagesPerFlush`` messages a time.
    static let flushInterval: Duration = .milliseconds(250)
    static let messagesPerFlush = 100
    /// A comment line goes down an idle stream this often, so proxies keep it open.
    static let heartbeat: Duration = .seconds(15)
    /// Most stored events remembered for their delivery outcome; older ones are forgotten.
    static let rememberedEvents = 10_000

    private let state = Mutex(State())

    var isWatched: Bool { state.withLock { $0.viewers > 0 } }

    /// Messages in the log now.
    var logCount: Int { state.withLock { $0.entries.count - $0.head } }

    /// The stream of one viewer, as SSE bytes: the messages for `testEventCode` (all of them when
    /// nil) published from now on, heartbeats, and a note of what it missed; ends at ``finish()``
    /// or when the reading task is cancelled.
    func subscribe(testEventCode: String?) -> Stream {
        let start = state.withLock { state -> Int? in
            guard !state.finished else { return nil }
            state.viewers += 1
            return state.endSequence
        }
        return Stream(feed: self, testEventCode: testEventCode, start: start)
    }

    /// Ends every stream (on shutdown, so that open views do not hold it up).
    func finish() {
        state.withLock { $0.finished = true }
    }

    /// Publishes messages; `awaiting` (outbox keys, one per message or nil) are remembered so that
    /// their delivery outcome can follow under the same message id.
    func publish(_ messages: [(message: Message, awaiting: String?, messageID: String?, mapping: String)]) {
        guard isWatched, !messages.isEmpty else { return }
        let entries = messages.map { item in
            var frame = ByteBuffer()
            frame.reserveCapacity(256)
            frame.writeString("data: ")
            var bytes: [UInt8] = []
            item.message.json.serialize(into: &bytes)
            frame.writeBytes(bytes)
            frame.writeString("\n\n")
            return Entry(testEventCode: item.message.testEventCode, toEveryViewer: item.message.toEveryViewer, frame: frame)
        }
        state.withLock { state in
            guard state.viewers > 0 else { return }
            for (item, entry) in zip(messages, entries) {
                if let key = item.awaiting {
                    if state.stored[key] == nil { state.storedOrder.append(key) }
                    state.stored[key] = (item.messageID, item.mapping, item.message.testEventCode)
                    if state.storedOrder.count > Self.rememberedEvents {
                        let excess = state.storedOrder.count - Self.rememberedEvents
                        for old in state.storedOrder[..<excess] { state.stored[old] = nil }
                        state.storedOrder.removeFirst(excess)
                    }
                }
                state.append(entry)
            }
        }
    }

    /// Publishes one message.
    func publish(_ message: Message, awaiting key: String? = nil, messageID: String? = nil, mapping: String = "") {
        publish([(message, key, messageID, mapping)])
    }

    /// Publishes the delivery outcome of stored events.
    func settled(_ settlement: DeliverySettlement) {
        let known = state.withLock { state -> [(messageID: String?, mapping: String, testEventCode: String?)] in
            guard state.viewers > 0 else { return [] }
            return settlement.keys.compactMap { state.stored.removeValue(forKey: $0) }
        }
        let messages = known.map { event -> (message: Message, awaiting: String?, messageID: String?, mapping: String) in
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
            return (Message(testEventCode: event.testEventCode, json: .object(json)), nil, nil, "")
        }
        publish(messages)
    }

    /// What one viewer is sent next from `cursor` on: at most ``messagesPerFlush`` of the messages
    /// it is shown, how many it missed (gone from the log before it read them), and the new cursor.
    /// Nil once the feed is finished and the viewer has read everything.
    fileprivate func read(from cursor: Int, testEventCode: String?) -> (frames: [ByteBuffer], missed: Int, cursor: Int)? {
        state.withLock { state in
            var cursor = cursor
            let missed = max(0, state.firstSequence - cursor)
            cursor = max(cursor, state.firstSequence)
            var frames: [ByteBuffer] = []
            while cursor < state.endSequence, frames.count < Self.messagesPerFlush {
                let entry = state.entries[state.head + cursor - state.firstSequence]
                if entry.isShown(to: testEventCode) { frames.append(entry.frame) }
                cursor += 1
            }
            if state.finished, frames.isEmpty, missed == 0 { return nil }
            return (frames, missed, cursor)
        }
    }

    fileprivate func unsubscribe() {
        state.withLock { state in
            state.viewers -= 1
            if state.viewers == 0 {
                state.stored.removeAll()
                state.storedOrder.removeAll()
                state.firstSequence = state.endSequence
                state.entries.removeAll()
                state.head = 0
                state.bytes = 0
            }
        }
    }

    /// One viewer's SSE stream: reads the log every ``flushInterval`` and yields what it found as
    /// one buffer. Leaving it (the client went, the task was cancelled) ends the subscription.
    struct Stream: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let feed: DebugFeed
        let testEventCode: String?
        /// Nil when the feed had already finished.
        let start: Int?

        func makeAsyncIterator() -> Iterator {
            Iterator(subscription: start.map { Subscription(feed: feed, start: $0) }, testEventCode: testEventCode)
        }

        /// Unsubscribes when the last reference goes, however the stream ended.
        final class Subscription: Sendable {
            let feed: DebugFeed
            let start: Int
            init(feed: DebugFeed, start: Int) {
                self.feed = feed
                self.start = start
            }
            deinit { feed.unsubscribe() }
        }

        struct Iterator: AsyncIteratorProtocol {
            let subscription: Subscription?
            let testEventCode: String?
            var cursor: Int?
            var greeted = false
            var sinceWritten: Duration = .zero

            init(subscription: Subscription?, testEventCode: String?) {
                self.subscription = subscription
                self.testEventCode = testEventCode
                self.cursor = subscription?.start
            }

            mutating func next() async -> ByteBuffer? {
                if !greeted {
                    greeted = true
                    return ByteBuffer(string: "retry: 2000\n: connected\n\n")
                }
                guard let subscription, let from = cursor else { return nil }
                while true {
                    do {
                        try await Task.sleep(for: DebugFeed.flushInterval)
                    } catch {
                        cursor = nil
                        return nil
                    }
                    sinceWritten += DebugFeed.flushInterval
                    guard let read = subscription.feed.read(from: cursor ?? from, testEventCode: testEventCode) else {
                        cursor = nil
                        return nil
                    }
                    cursor = read.cursor
                    if read.frames.isEmpty, read.missed == 0 {
                        guard sinceWritten >= DebugFeed.heartbeat else { continue }
                        sinceWritten = .zero
                        return ByteBuffer(string: ": keep-alive\n\n")
                    }
                    sinceWritten = .zero
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(read.frames.reduce(64) { $0 + $1.readableBytes })
                    if read.missed > 0 {
                        buffer.writeString(
                            #"data: {"outcome":"dropped","dropped":\#(read.missed),"reason":"this view fell behind: \#(read.missed) messages went by unread"}"#
                                + "\n\n")
                    }
                    for var frame in read.frames { buffer.writeBuffer(&frame) }
                    return buffer
                }
            }
        }
    }
}
