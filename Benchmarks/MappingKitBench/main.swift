// MappingKit micro-benchmarks: trigger matches, mapping evaluations, JSON parse and serialize,
// each on one core. Run with `swift run -c release mappingkit-bench [word]`; a word runs only
// the cases whose label contains it (e.g. `parse`), which keeps profiles focused.
import Foundation
import JSONKit
import MappingKit

/// A realistic "Order Completed" event with three products.
let eventText = #"""
{"messageId":"msg-42-7f3c","type":"track","event":"Order Completed","timestamp":"2024-01-22T00:38:59.341Z","receivedAt":"2024-01-22T00:38:59.341Z","sentAt":"2024-01-22T00:38:59.341Z","userId":"user-8812","anonymousId":"anon-eb438a907d09","context":{"ip":"8.68.15.48","locale":"en-US","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","library":{"name":"analytics.js","version":"2.11.1"},"page":{"path":"/checkout","referrer":"https://www.google.com/","title":"Checkout","url":"https://shop.example.com/checkout?ttclid=E.C.P.abc123"},"traits":{"email":"Ines.Dmitri450@example.com","phone":"+44 20 8728 5571"}},"properties":{"order_id":"ord-1001","shop_id":"shop-7","currency":"USD","revenue":131.94,"description":"three items","products":[{"product_id":"sku-1","name":"Initech Toys 69","price":43.98,"quantity":1,"category":"Toys","brand":"Acme"},{"product_id":"sku-2","name":"Widget","price":"12.50","quantity":2,"category":"Tools","brand":"Initech"},{"product_id":"sku-3","name":"Gadget","price":62.96,"quantity":1,"category":"Tools","brand":"Acme"}]},"integrations":{}}
"""#

func ifExists(_ first: String, else second: String) -> JSON {
    ["@if": ["exists": ["@path": .string(first)], "then": ["@path": .string(first)], "else": ["@path": .string(second)]]]
}

func path(_ p: String) -> JSON { ["@path": .string(p)] }

/// 24 fields: the Complete Payment preset's fields plus two more.
let mappingJSON: JSON = [
    "event": "CompletePayment",
    "event_id": path("$.messageId"),
    "timestamp": path("$.timestamp"),
    "phone_numbers": ifExists("$.properties.phone", else: "$.context.traits.phone"),
    "email_addresses": ifExists("$.properties.email", else: "$.context.traits.email"),
    "order_id": path("$.properties.order_id"),
    "shop_id": path("$.properties.shop_id"),
    "external_ids": ifExists("$.userId", else: "$.anonymousId"),
    "ttclid": ifExists("$.properties.ttclid", else: "$.integrations.TikTok Offline Conversions.ttclid"),
    "ttp": ifExists("$.properties.ttp", else: "$.integrations.TikTok Offline Conversions.ttp"),
    "lead_id": path("$.properties.lead_id"),
    "locale": path("$.context.locale"),
    "url": path("$.context.page.url"),
    "referrer": path("$.context.page.referrer"),
    "ip": path("$.context.ip"),
    "user_agent": path("$.context.userAgent"),
    "content_type": "product",
    "currency": path("$.properties.currency"),
    "value": ifExists("$.properties.value", else: "$.properties.revenue"),
    "query": path("$.properties.query"),
    "limited_data_use": path("$.properties.limited_data_use"),
    "description": path("$.properties.description"),
    "test_event_code": path("$.properties.test_event_code"),
    "contents": ["@arrayPath": [
        "$.properties.products",
        [
            "price": path("$.price"), "quantity": path("$.quantity"), "content_category": path("$.category"),
            "content_id": path("$.product_id"), "content_name": path("$.name"), "brand": path("$.brand"),
        ],
    ]],
]

/// Seconds of CPU time this thread has used: unlike wall time, unaffected by other
/// processes competing for the core.
func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Runs `body` repeatedly for about `seconds` of CPU time and prints operations per second,
/// per CPU second (one core) and per wall-clock second.
func measure(_ label: String, seconds: Double = 2, batch: Int = 10_000, _ body: () -> Void) {
    if let filter = CommandLine.arguments.dropFirst().first, !label.contains(filter) { return }
    if let count = ProcessInfo.processInfo.environment["BENCH_ITERATIONS"].flatMap(Int.init) {
        // A fixed amount of work, for instruction counts under valgrind or perf.
        for _ in 0..<count { body() }
        return print(label, count, "iterations")
    }
    for _ in 0..<batch / 10 { body() }  // warm up
    let clock = ContinuousClock()
    let wallStart = clock.now
    let cpuStart = threadCPUSeconds()
    var operations = 0
    while threadCPUSeconds() - cpuStart < seconds {
        for _ in 0..<batch { body() }
        operations += batch
    }
    let cpu = threadCPUSeconds() - cpuStart
    let wall = clock.now - wallStart
    let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
    print(
        label.padding(toLength: 58, withPad: " ", startingAt: 0),
        String(format: "%12.0f /s per core   (%.0f /s wall clock)", Double(operations) / cpu, Double(operations) / wallSeconds))
}

@inline(never) func consume<T>(_ value: T) { withExtendedLifetime(value) {} }

let event = try JSON.parse(eventText)
let trigger = try Trigger(#"event = "Order Completed""#)
let compound = try Trigger(#"type = "track" and (event = "Order Completed" or event = "Order Placed") and properties.revenue > 10"#)
let mapping = try Mapping(mappingJSON)
precondition(trigger.matches(event) && compound.matches(event))
let sample = try mapping.evaluate(event)
precondition(sample?["contents"]?.arrayValue?.count == 3)

print("MappingKit benchmarks (one core, release build recommended)")
measure(#"trigger  event = "Order Completed""#, batch: 1_000_000) { consume(trigger.matches(event)) }
measure("trigger  type/event/or/properties.revenue > 10", batch: 1_000_000) { consume(compound.matches(event)) }
measure("mapping  24 fields, @if/@path, @arrayPath over 3 products") { consume(try? mapping.evaluate(event)) }
measure("json     parse a \(eventText.utf8.count)-byte event") { consume(try? JSON.parse(eventText)) }
let eventBytes = Array(eventText.utf8)
var document = JSONDocument()
measure("json     read the same event in place (JSONDocument)") {
    eventBytes.withUnsafeBytes { try? document.parse($0) }
    consume(document.isObject)
}
var buffer: [UInt8] = []
measure("json     serialize the same event") {
    buffer.removeAll(keepingCapacity: true)
    event.serialize(into: &buffer)
    consume(buffer.count)
}
