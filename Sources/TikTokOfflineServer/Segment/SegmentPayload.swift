import ConversionEngine
import Foundation
import JSONKit
import MappingKit

/// Turns the body of a Segment HTTP Tracking API call (or a Segment Webhooks delivery) into
/// the events the engine ingests, the way Segment's own API reads it.
///
/// - Single calls (`/v1/track`, `/v1/t`, …) carry one event; its `type` comes from the path.
/// - Batches (`/v1/batch`, `/v1/b`, `/v1/import`) carry `{"batch": [...]}`; the batch's
///   `context` and `integrations` are merged into each event (the event's own keys win).
/// - Webhook deliveries carry one event or an array of them, each with its `type`.
///
/// Every event gets a `messageId` if it has none and a `receivedAt`; a `writeKey` member is
/// removed (it is a credential, not event data). An event that is unusable (not an object, an
/// unknown `type`, no `userId` or `anonymousId`, a track without `event`, over the size limit)
/// is refused on its own with a reason; the others go on.
public enum SegmentPayload {
    /// What a body is: the endpoint it was posted to decides.
    public enum Shape: Sendable, Hashable {
        /// One event of this type (`track`, `identify`, …).
        case single(String)
        /// `{"batch": [...], "context": …, "integrations": …}`.
        case batch
        /// One event or an array of events, each with its own `type` (Segment's Webhooks destination).
        case webhook
    }

    /// The event types Segment's spec defines.
    public static let eventTypes: Set<String> = ["track", "identify", "page", "screen", "group", "alias"]

    /// A decoded body.
    public struct Decoded: Sendable {
        /// The usable events, numbered by their position in the body from 1.
        public var events = RawEvents()
        /// The `messageId` of every event, usable or not (nil for one that is not an object), by position from 0.
        public var messageIDs: [String?] = []
        /// Events refused before ingest, by position from 0.
        public var refused: [(index: Int, reason: String)] = []
        /// The `writeKey` member of the body, if it has one.
        public var writeKey: String?
    }

    /// Why a whole body was refused (answered with 400).
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Decodes `body`. Throws ``Refusal`` when the body as a whole is unusable (not JSON, wrong
    /// shape, or — for a single event — the event itself).
    public static func decode(
        _ body: [UInt8], shape: Shape, maxEventBytes: Int, receivedAt: Date = Date()
    ) throws(Refusal) -> Decoded {
        let json: JSON
        do {
            json = try JSON.parse(bytes: body, limits: JSONLimits(maxDepth: 64, maxBytes: max(body.count, 1)))
        } catch {
            throw Refusal(message: "invalid JSON at column \(error.column): \(withoutInputText(error.message))")
        }
        let received = JSON.string(Self.timestamp(receivedAt))
        var decoded = Decoded()
        var items: [JSON]
        var shared: (context: JSONObject?, integrations: JSONObject?) = (nil, nil)
        switch shape {
        case .single:
            items = [json]
            decoded.writeKey = json["writeKey"]?.stringValue
        case .batch:
            guard case .object(let object) = json else { throw Refusal(message: "a batch must be a JSON object with a \"batch\" array") }
            guard case .array(let batch)? = object["batch"] else { throw Refusal(message: "the body has no \"batch\" array") }
            items = batch
            shared = (object["context"]?.objectValue, object["integrations"]?.objectValue)
            decoded.writeKey = object["writeKey"]?.stringValue
        case .webhook:
            items = json.arrayValue ?? [json]
        }
        decoded.messageIDs.reserveCapacity(items.count)
        var scratch: [UInt8] = []
        for index in items.indices {
            guard case .object(var event) = items[index] else {
                decoded.messageIDs.append(nil)
                decoded.refused.append((index, "an event must be a JSON object, got \(items[index].typeName)"))
                continue
            }
            items[index] = .null
            if case .single(let type) = shape { event["type"] = .string(type) }
            event["writeKey"] = nil
            if let context = shared.context { event["context"] = .object(merged(context, event["context"]?.objectValue)) }
            if let integrations = shared.integrations {
                event["integrations"] = .object(merged(integrations, event["integrations"]?.objectValue))
            }
            let messageID: String
            if let given = event["messageId"]?.stringValue, !given.isEmpty {
                messageID = given
            } else {
                messageID = "srv-" + UUID().uuidString.lowercased()
                event["messageId"] = .string(messageID)
            }
            if event["receivedAt"] == nil { event["receivedAt"] = received }
            decoded.messageIDs.append(messageID)
            if let problem = problem(with: event) {
                decoded.refused.append((index, problem))
                continue
            }
            scratch.removeAll(keepingCapacity: true)
            JSON.object(event).serialize(into: &scratch)
            guard scratch.count <= maxEventBytes else {
                decoded.refused.append((index, "event is \(scratch.count) bytes, over the limit of \(maxEventBytes) bytes per event"))
                continue
            }
            decoded.events.append(number: index + 1, scratch)
        }
        if case .single = shape, let refusal = decoded.refused.first { throw Refusal(message: refusal.reason) }
        return decoded
    }

    /// Why Segment's API would not take `event`, or nil.
    static func problem(with event: JSONObject) -> String? {
        guard let type = event["type"]?.stringValue else { return "the event has no \"type\"" }
        guard eventTypes.contains(type) else { return "unknown event type (expected one of \(eventTypes.sorted().joined(separator: ", ")))" }
        guard hasIdentifier(event["userId"]) || hasIdentifier(event["anonymousId"]) else {
            return "the event has neither \"userId\" nor \"anonymousId\""
        }
        if type == "track", (event["event"]?.stringValue ?? "").isEmpty { return "a track event needs an \"event\" name" }
        return nil
    }

    private static func hasIdentifier(_ value: JSON?) -> Bool {
        switch value {
        case .string(let text)?: !text.isEmpty
        case .int?, .double?: true
        default: false
        }
    }

    /// `base` with `own`'s members over it.
    private static func merged(_ base: JSONObject, _ own: JSONObject?) -> JSONObject {
        guard let own else { return base }
        var result = base
        for member in own.members { result[member.key] = member.value }
        return result
    }

    /// A parse message with any quoted input cut out: it may hold personal data.
    static func withoutInputText(_ message: String) -> String {
        guard let quote = message.firstIndex(of: "\"") else { return message }
        return String(message[..<quote]).trimmingCharacters(in: .whitespaces)
    }

    private static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
