import ConversionEngine
import Delivery
import JSONKit
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
/// most every ``flushInterval``, at most ``messagesPerFlush`` a time, and all viewers together
/// at most ``bytesPerFlush`` (shared out evenly), so that many viewers cannot take the cores
/// ingest needs: what one is not sent in a flush waits for the next, while the log holds it.
///
/// What watching costs ingest is bounded too: messages for a test code some viewer watches are
/// always kept, but the others (for viewers of every event) are admitted at most
/// ``admittedPerSecond`` a second, and records are traced stage by stage (which takes them off
/// the fused path) for at most ``tracedPerSecond`` a second; the messages not admitted are
/// counted, and viewers of every event are told of them as dropped.
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
        /// Test codes watched, by how many viewers.
        var watchedCodes: [String: Int] = [:]
        var finished = false
        /// Messages not admitted so far (see ``admit(testEventCode:toEveryViewer:)``).
        var unadmitted = 0
        var admission = TokenBucket(perSecond: DebugFeed.admittedPerSecond)
        var tracing = TokenBucket(perSecond: DebugFeed.tracedPerSecond)
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
    /// What all viewers together are written per flush (8 MiB a second), shared out evenly,
    /// and the least one viewer is given.
    static let bytesPerFlush = 2 << 20
    static let leastBytesPerViewer = 8 << 10
    /// A comment line goes down an idle stream this often, so proxies keep it open.
    static let heartbeat: Duration = .seconds(15)
    /// Most stored events remembered for their delivery outcome; older ones are forgotten.
    static let rememberedEvents = 10_000
    /// Messages not for a watched test code admitted a second, and records traced a second.
    static let admittedPerSecond = 2_000
    static let tracedPerSecond = 1_000

    /// A budget that refills at `perSecond`, holding at most a second's worth.
    struct TokenBucket {
        let perSecond: Int
        var tokens: Double
        var refilled = ContinuousClock.now

        init(perSecond: Int) {
            self.perSecond = perSecond
            tokens = Double(perSecond)
        }

        /// Takes `count` if there is that much (or any, for a count over a second's worth).
        mutating func take(_ count: Int) -> Bool {
            let now = ContinuousClock.now
            let elapsed = now - refilled
            refilled = now
            tokens = min(Double(perSecond), tokens + Double(elapsed.components.seconds) * Double(perSecond)
                + Double(elapsed.components.attoseconds) / 1e18 * Double(perSecond))
            guard tokens >= Double(min(count, perSecond)) else { return false }
            tokens -= Double(count)
            return true
        }
    }

    /// Whether a message should be built and published: always for a test code someone watches;
    /// otherwise while viewers of every event are within ``admittedPerSecond`` (else it is
    /// counted as dropped for them).
    func admit(testEventCode: String?, toEveryViewer: Bool) -> Bool {
        state.withLock { state in
            guard state.viewers > 0 else { return false }
            if let testEventCode, state.watchedCodes[testEventCode] != nil { return true }
            let everyEvent = state.viewers - state.watchedCodes.values.reduce(0, +)
            guard everyEvent > 0 || toEveryViewer else { return false }
            if state.admission.take(1) { return true }
            if everyEvent > 0 { state.unadmitted += 1 }
            return false
        }
    }

    /// Whether the next `records` records should be traced stage by stage.
    func wantsTraces(records: Int) -> Bool {
        state.withLock { $0.viewers > 0 && $0.tracing.take(records) }
    }

    private let state = Mutex(State())

    var isWatched: Bool { state.withLock { $0.viewers > 0 } }

    /// Messages in the log now.
    var logCount: Int { state.withLock { $0.entries.count - $0.head } }

    /// The stream of one viewer, as SSE bytes: the messages for `testEventCode` (all of them when
    /// nil) published from now on, heartbeats, and a note of what it missed; ends at ``finish()``
    /// or when the reading task is cancelled.
    func subscribe(testEventCode: String?) -> Stream {
        let start = state.withLock { state -> (Int, Int)? in
            guard !state.finished else { return nil }
            state.viewers += 1
            if let testEventCode { state.watchedCodes[testEventCode, default: 0] += 1 }
            return (state.endSequence, state.unadmitted)
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
    fileprivate func read(
        from cursor: Int, unadmitted: Int, testEventCode: String?
    ) -> (frames: [ByteBuffer], missed: Int, cursor: Int, unadmitted: Int)? {
        state.withLock { state in
            var cursor = cursor
            let notAdmitted = testEventCode == nil ? state.unadmitted - unadmitted : 0
            let missed = max(0, state.firstSequence - cursor) + notAdmitted
            cursor = max(cursor, state.firstSequence)
            var frames: [ByteBuffer] = []
            var budget = max(Self.leastBytesPerViewer, Self.bytesPerFlush / max(state.viewers, 1))
            while cursor < state.endSequence, frames.count < Self.messagesPerFlush {
                let entry = state.entries[state.head + cursor - state.firstSequence]
                if entry.isShown(to: testEventCode) {
                    guard frames.isEmpty || entry.frame.readableBytes <= budget else { break }
                    budget -= entry.frame.readableBytes
                    frames.append(entry.frame)
                }
                cursor += 1
            }
            if state.finished, frames.isEmpty, missed == 0 { return nil }
            return (frames, missed, cursor, state.unadmitted)
        }
    }

    fileprivate func unsubscribe(testEventCode: String?) {
        state.withLock { state in
            state.viewers -= 1
            if let testEventCode {
                state.watchedCodes[testEventCode, default: 1] -= 1
                if state.watchedCodes[testEventCode] == 0 { state.watchedCodes[testEventCode] = nil }
            }
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
        /// The log's end and the count of messages not admitted when it subscribed; nil when
        /// the feed had already finished.
        let start: (sequence: Int, unadmitted: Int)?

        func makeAsyncIterator() -> Iterator {
            Iterator(subscription: start.map { Subscription(feed: feed, testEventCode: testEventCode, start: $0) }, testEventCode: testEventCode)
        }

        /// Unsubscribes when the last reference goes, however the stream ended.
        final class Subscription: Sendable {
            let feed: DebugFeed
            let testEventCode: String?
            let start: (sequence: Int, unadmitted: Int)
            init(feed: DebugFeed, testEventCode: String?, start: (sequence: Int, unadmitted: Int)) {
                self.feed = feed
                self.testEventCode = testEventCode
                self.start = start
            }
            deinit { feed.unsubscribe(testEventCode: testEventCode) }
        }

        struct Iterator: AsyncIteratorProtocol {
            let subscription: Subscription?
            let testEventCode: String?
            var cursor: Int?
            var unadmitted = 0
            var greeted = false
            var sinceWritten: Duration = .zero

            init(subscription: Subscription?, testEventCode: String?) {
                self.subscription = subscription
                self.testEventCode = testEventCode
                self.cursor = subscription?.start.sequence
                self.unadmitted = subscription?.start.unadmitted ?? 0
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
                    guard let read = subscription.feed.read(from: cursor ?? from, unadmitted: unadmitted, testEventCode: testEventCode) else {
                        cursor = nil
                        return nil
                    }
                    cursor = read.cursor
                    unadmitted = read.unadmitted
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
