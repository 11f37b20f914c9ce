import ConversionEngine
import Foundation
import MappingKit

/// Writes each pending record's `data` element (``TikTokRequestBuilder/writeDataElement(for:now:into:)``)
/// into ``Record/output`` and hands the batch to a swappable ``EventSink``, with
/// ``TikTokAddressing`` to say where each record goes. For a sink that
/// ``EventSink/needsEventIDs``, a record without an `event_id` first gets a random one.
public struct SendStage: Stage {
    public let builder: TikTokRequestBuilder
    public let sink: any EventSink
    private let addressing: TikTokAddressing

    public init(builder: TikTokRequestBuilder, sink: any EventSink) {
        self.builder = builder
        self.sink = sink
        self.addressing = TikTokAddressing(builder: builder)
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
        try await sink.deliver(&batch, addressing: addressing, context: context)
    }
}
