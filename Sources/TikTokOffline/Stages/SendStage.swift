import ConversionEngine
import Foundation
import MappingKit

/// Where prepared records go: TikTok over HTTP, an outbox, or the dry-run printer.
///
/// Implementation requirements: settle every pending record of the batch that has an
/// ``Record/output`` (``Record/markSent()`` when accepted, ``Record/reject(_:)`` with
/// TikTok's reason otherwise). Throw only when the batch as a whole could not be handed
/// over; the records then stay pending. Read ``Record/fields`` and ``Record/output``, not
/// ``Record/event``: the send stage declares that it needs no part of the event.
public protocol EventSink: Sendable {
    func deliver(_ batch: inout Batch, builder: TikTokRequestBuilder, context: StageContext) async throws

    /// The sink keeps records by their `event_id` (an outbox): the send stage gives a record
    /// without one a random id before writing its element, so the element TikTok receives, its
    /// retries and the key it is stored under all carry the same id. False by default.
    var needsEventIDs: Bool { get }
}

extension EventSink {
    public var needsEventIDs: Bool { false }
}

/// Writes each pending record's `data` element (``TikTokRequestBuilder/writeDataElement(for:now:into:)``)
/// into ``Record/output`` and hands the batch to a swappable ``EventSink``. For a sink that
/// ``EventSink/needsEventIDs``, a record without an `event_id` first gets a random one.
public struct SendStage: Stage {
    public let builder: TikTokRequestBuilder
    public let sink: any EventSink

    public init(builder: TikTokRequestBuilder, sink: any EventSink) {
        self.builder = builder
        self.sink = sink
    }

    /// Works on fields and output only; so must its sink.
    public var eventNeeds: EventNeeds { .nothing }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        var text: [UInt8] = []
        text.reserveCapacity(4096)
        let needsEventIDs = sink.needsEventIDs
        // A record a fused plan prepared has its element (and event_id) already.
        batch.forEachUnprepared { record in
            if needsEventIDs && !(record.fields["event_id"]?.isTruthy ?? false) {
                record.fields["event_id"] = .string(UUID().uuidString.lowercased())
            }
            text.removeAll(keepingCapacity: true)
            record.outputNotes = builder.writeDataElement(for: record.fields, now: context.now, into: &text).rawValue
            // An exact-size copy: the scratch buffer stays unshared for the next record.
            record.output = [UInt8](unsafeUninitializedCapacity: text.count) { copy, count in
                count = copy.initialize(fromContentsOf: text)
            }
        }
        try await sink.deliver(&batch, builder: builder, context: context)
    }
}

/// Accepts every prepared record without sending anything: the records keep their
/// `output` for the caller to print or inspect.
public struct DryRunSink: EventSink {
    public init() {}

    public func deliver(_ batch: inout Batch, builder: TikTokRequestBuilder, context: StageContext) async throws {
        batch.forEachPending { record in
            if record.output != nil { record.markSent() }
        }
    }
}
