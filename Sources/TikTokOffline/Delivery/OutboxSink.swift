import ConversionEngine
import MappingKit
import Synchronization

/// The `send` stage's sink for real delivery: stores every prepared `data` element in the outbox.
///
/// A record counts as sent (accepted) once its element is committed to the outbox; a
/// ``Deliverer`` takes it from there. If the outbox cannot be written the batch throws and its
/// records stay pending, so nothing is reported accepted that is not stored.
public final class OutboxSink: EventSink {
    public let outbox: Outbox
    public let route: TikTokRoute
    private let totals = Mutex(EnqueueResult(inserted: 0, duplicates: 0))

    public init(outbox: Outbox, route: TikTokRoute) {
        self.outbox = outbox
        self.route = route
    }

    /// Elements stored so far, and those already waiting in the outbox under the same (event, event_id).
    public var enqueued: EnqueueResult { totals.withLock { $0 } }

    public func deliver(_ batch: inout Batch, builder: TikTokRequestBuilder, context: StageContext) async throws {
        var messages: [OutboxMessage] = []
        var accepted: [Int] = []
        for index in batch.pendingIndices {
            guard let message = OutboxMessage(tiktokRecord: batch.records[index]) else { continue }
            messages.append(message)
            accepted.append(index)
        }
        let result = try await outbox.enqueue(messages, destination: route.outboxDestination)
        totals.withLock { totals in
            totals.inserted += result.inserted
            totals.duplicates += result.duplicates
        }
        for index in accepted { batch.records[index].markSent() }
    }
}
