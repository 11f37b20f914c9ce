import ConversionEngine
import JSONKit
import TikTokEventsAPI

/// Where TikTok Conversions' prepared records are kept: one queue per route (pixel, event
/// source and test code: ``TikTokRoute/outboxDestination`` under ``TikTokRoute/webQueues``),
/// since TikTok reads those per request; the key is (event, `event_id`) (``TikTokEventKey``),
/// the pair TikTok deduplicates on.
struct WebEventAddressing: RecordAddressing {
    let pixelCode: String
    let testEventCode: String?

    init(settings: TikTokConversionsSettings) {
        pixelCode = settings.pixelCode ?? ""
        testEventCode = settings.testEventCode
    }

    /// The queue of a record with these prepared fields.
    func queue(for fields: JSONObject) -> String {
        TikTokRoute.outboxDestination(
            eventSetID: pixelCode, eventSource: WebEventElement.eventSource(of: fields),
            partnerName: TikTokConversionsSettings.partnerName, testEventCode: testEventCode(for: fields),
            prefix: TikTokRoute.webQueues)
    }

    /// The record's own `test_event_code` when its mapping set one, else the settings'.
    func testEventCode(for fields: JSONObject) -> String? {
        if let field = fields["test_event_code"], field.isTruthy { return field.stringValue ?? field.serialized() }
        return testEventCode
    }

    func groups(of batch: borrowing Batch) -> [RecordGroup] {
        var groups: [RecordGroup] = []
        for (index, record) in batch.records.enumerated() {
            guard record.isPending, record.output != nil, let key = TikTokEventKey.make(fields: record.fields) else { continue }
            let queue = queue(for: record.fields)
            if let known = groups.firstIndex(where: { $0.queue == queue }) {
                groups[known].records.append(index)
                groups[known].keys.append(key)
            } else {
                groups.append(RecordGroup(queue: queue, records: [index], keys: [key]))
            }
        }
        return groups
    }
}
