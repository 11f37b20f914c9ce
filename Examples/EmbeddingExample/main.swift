// A Swift service embedding the engine: the shipped presets, one stage of its own, and a
// sink that collects what would be sent. Build and run: `swift run EmbeddingExample`.
import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import TikTokOffline

/// Drops orders placed by the shop's own staff before anything is hashed or sent.
struct SkipStaffOrders: Stage {
    let staffDomain: String

    func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { record in
            let emails = record.fields["email_addresses"]?.arrayValue ?? []
            if emails.contains(where: { $0.stringValue?.hasSuffix("@" + staffDomain) == true }) {
                record.skip("staff order")
            }
        }
    }
}

let settings = TikTokSettings(accessToken: "example-token", eventSetID: "1234567890", partnerName: "Acme")
let engine = try TikTokDestination.engine(settings: settings, sink: DryRunSink()) { registry, pipeline in
    try registry.register(SkipStaffOrders(staffDomain: "acme.example"), as: "acme.skip-staff")
    // After normalize (addresses trimmed and lower-cased), before hash.
    try pipeline.insert("acme.skip-staff", after: "normalize")
}

// An hour ago: inside TikTok's 28-day attribution window (older events are refused as stale).
let anHourAgo = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3_600))
let events: [JSON] = [
    ["type": "track", "event": "Order Completed", "userId": "u-1", "messageId": "m-1",
     "timestamp": .string(anHourAgo),
     "properties": ["email": "Buyer@Example.com", "value": 42, "currency": "EUR",
                    "products": [["product_id": "sku-1", "price": 42, "quantity": 1]]]],
    ["type": "track", "event": "Order Completed", "userId": "u-2",
     "properties": ["email": " Clerk@ACME.example "]],
    ["type": "track", "event": "Callback Started"],
]

let builder = TikTokRequestBuilder(settings: settings)
for record in try await engine.process(events: events) {
    switch record.outcome {
    case .sent:
        var body: [UInt8] = []
        builder.writeBody(serializedData: [record.output!], testEventCode: builder.testEventCode(for: record.fields), into: &body)
        print("event \(record.line) \(record.mapping): \(String(decoding: body, as: UTF8.self))")
    case .rejected(let reason): print("event \(record.line) \(record.mapping): rejected, \(reason)")
    case .skipped(let reason): print("event \(record.line) \(record.mapping): skipped, \(reason)")
    case .pending: print("event \(record.line) \(record.mapping): not sent")
    }
}
