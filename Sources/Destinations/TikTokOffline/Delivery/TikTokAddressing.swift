import ConversionEngine
import JSONKit
import TikTokEventsAPI

/// Where TikTok's prepared records are kept: one queue per route (event set, event source and
/// test code, of the settings' partner: ``TikTokRoute/outboxDestination``), since TikTok reads
/// those per request; the key is (event, `event_id`) (``TikTokEventKey``), the pair TikTok
/// deduplicates on.
public struct TikTokAddressing: RecordAddressing {
    public let builder: TikTokRequestBuilder

    public init(builder: TikTokRequestBuilder) {
        self.builder = builder
    }

    public func groups(of batch: borrowing Batch) -> [RecordGroup] {
        var routes: [TikTokRequestBuilder.Route] = []
        var groups: [RecordGroup] = []
        // Records read in place: the array's subscript would hand out copies.
        batch.records.withUnsafeBufferPointer { records in
            for index in records.indices {
                let record = records.baseAddress! + index
                guard record.pointee.isPending, record.pointee.output != nil,
                    let key = TikTokEventKey.make(fields: record.pointee.fields)
                else { continue }
                let route = builder.route(for: record.pointee.fields)
                let group: Int
                if let known = routes.firstIndex(of: route) {
                    group = known
                } else {
                    routes.append(route)
                    groups.append(RecordGroup(queue: TikTokRoute.outboxDestination(
                        eventSetID: route.eventSetID, eventSource: route.eventSource, partnerName: builder.partnerName,
                        testEventCode: route.testEventCode)))
                    group = groups.count - 1
                }
                groups[group].records.append(index)
                groups[group].keys.append(key)
            }
        }
        return groups
    }
}
