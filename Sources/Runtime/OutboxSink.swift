import ConversionEngine
import Delivery
import Synchronization

/// The `send` stage's sink for real delivery, for any destination: stores every prepared
/// record's ``Record/output`` in an outbox, under the queue and key its destination's
/// ``RecordAddressing`` gives, so a request never mixes queues and storing an event twice is a
/// no-op.
///
/// Batches processed at once are stored in input order (``StageContext/turn``).
///
/// A record counts as sent (accepted) once its output is committed to the outbox; a
/// ``Deliverer`` takes it from there. If the outbox cannot be written the batch throws and its
/// records stay pending, so nothing is reported accepted that is not stored.
public final class OutboxSink: EventSink {
    public let outbox: any OutboxStore
    private let totals = Mutex(EnqueueResult(inserted: 0, duplicates: 0))

    public init(outbox: any OutboxStore) {
        self.outbox = outbox
    }

    /// Records are stored under their key: each needs an id.
    public var needsEventIDs: Bool { true }

    /// Records stored so far, and those already waiting in the outbox under the same key.
    public var enqueued: EnqueueResult { totals.withLock { $0 } }

    public func deliver(_ batch: inout Batch, addressing: any RecordAddressing, context: StageContext) async throws {
        let groups = addressing.groups(of: batch)
        var messages: [[OutboxMessage]] = []
        messages.reserveCapacity(groups.count)
        for group in groups {
            messages.append(zip(group.records, group.keys).map { index, key in
                OutboxMessage(key: key, payload: batch.records[index].output ?? [])
            })
        }
        // Storage keeps the input's order: wait for the batches read before this one.
        await context.turn?.earlierBatchesFinished()
        for (group, messages) in zip(groups, messages) {
            let result = try await outbox.enqueue(messages, destination: group.queue)
            totals.withLock { totals in
                totals.inserted += result.inserted
                totals.duplicates += result.duplicates
            }
            for index in group.records { batch.records[index].markSent() }
        }
    }
}
