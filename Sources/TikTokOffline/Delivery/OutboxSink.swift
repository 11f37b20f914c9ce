import Delivery
import ConversionEngine
import MappingKit
import Synchronization

/// The `send` stage's sink for real delivery: stores every prepared `data` element in the outbox.
///
/// Elements are stored under their route's destination, one per event set, kind and test code
/// (``TikTokRequestBuilder/route(for:)``), so a request never mixes them.
///
/// Batches processed at once are stored in input order (``StageContext/turn``).
///
/// A record counts as sent (accepted) once its element is committed to the outbox; a
/// ``Deliverer`` takes it from there. If the outbox cannot be written the batch throws and its
/// records stay pending, so nothing is reported accepted that is not stored.
public final class OutboxSink: EventSink {
    public let outbox: any OutboxStore
    public let route: TikTokRoute
    private let totals = Mutex(EnqueueResult(inserted: 0, duplicates: 0))

    public init(outbox: any OutboxStore, route: TikTokRoute) {
        self.outbox = outbox
        self.route = route
    }

    /// Records are stored under (event, event_id): each needs an id.
    public var needsEventIDs: Bool { true }

    /// Elements stored so far, and those already waiting in the outbox under the same (event, event_id).
    public var enqueued: EnqueueResult { totals.withLock { $0 } }

    public func deliver(_ batch: inout Batch, builder: TikTokRequestBuilder, context: StageContext) async throws {
        // One outbox destination per route (event set, kind, test code: TikTok reads them per
        // request), each in input order.
        var groups: [(route: TikTokRequestBuilder.Route, messages: [OutboxMessage], accepted: [Int])] = []
        // Records read in place: the array's subscript would hand out copies.
        batch.records.withUnsafeBufferPointer { records in
            for index in records.indices {
                let record = records.baseAddress! + index
                guard record.pointee.isPending,
                    let message = OutboxMessage(tiktokElement: record.pointee.output, fields: record.pointee.fields)
                else { continue }
                let target = builder.route(for: record.pointee.fields)
                if let group = groups.firstIndex(where: { $0.route == target }) {
                    groups[group].messages.append(message)
                    groups[group].accepted.append(index)
                } else {
                    groups.append((target, [message], [index]))
                }
            }
        }
        // Storage keeps the input's order: wait for the batches read before this one.
        await context.turn?.earlierBatchesFinished()
        for (target, messages, accepted) in groups {
            let result = try await outbox.enqueue(messages, destination: route.with(target).outboxDestination)
            totals.withLock { totals in
                totals.inserted += result.inserted
                totals.duplicates += result.duplicates
            }
            for index in accepted { batch.records[index].markSent() }
        }
    }
}

extension OutboxStore {
    /// Events pending for `route`'s token: every event set, kind and test code of its partner.
    public func pendingCount(for route: TikTokRoute) async throws -> Int {
        var pending = 0
        for destination in try await pendingDestinations() where route.route(forDestination: destination) != nil {
            pending += try await counts(destination: destination).pending
        }
        return pending
    }
}
