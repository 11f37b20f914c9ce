import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// Mappings that route to their own event sets, and a CRM mapping, through `run` to the stand-in.
@Suite("event sets and CRM events (processes)", .timeLimit(.minutes(2)))
struct EventSetRoutingTests {
    static let mappings: [String: String] = [
        "east.yaml": """
            name: East stores
            trigger: event = "Order Completed" and properties.region = "east"
            action: reportOfflineEvent
            destination:
              event_set_id: "7000000000000000001"
            mapping:
              event: CompletePayment
              event_id: !path $.messageId
              email_addresses: !path $.properties.email
              value: !path $.properties.value
              currency: USD
            """,
        "by-brand.yaml": """
            name: By brand
            trigger: event = "Order Completed" and properties.region = "west"
            action: reportOfflineEvent
            destination:
              event_set_id: !path $.properties.brand_event_set
            mapping:
              event: CompletePayment
              event_id: !path $.messageId
              email_addresses: !path $.properties.email
            """,
        "crm.yaml": """
            name: Qualified leads
            trigger: event = "Lead Qualified"
            action: reportOfflineEvent
            destination:
              event_set_id: "7000000000000000009"
              event_source: crm
            mapping:
              event: Lead
              event_id: !path $.messageId
              lead_id: !path $.properties.lead_id
              lead_event_source: HubSpot
              email_addresses: !path $.properties.email
            """,
    ]

    static func events(timestamp: String) -> String {
        var lines: [String] = []
        for n in 0..<30 {
            lines.append(#"{"type":"track","event":"Order Completed","messageId":"e-\#(n)","timestamp":"\#(timestamp)","properties":{"region":"east","email":"e\#(n)@example.com","value":\#(n)}}"#)
        }
        for n in 0..<20 {
            let set = n % 2 == 0 ? "7000000000000000002" : "7000000000000000003"
            lines.append(#"{"type":"track","event":"Order Completed","messageId":"w-\#(n)","timestamp":"\#(timestamp)","properties":{"region":"west","brand_event_set":"\#(set)","email":"w\#(n)@example.com"}}"#)
        }
        lines.append(#"{"type":"track","event":"Order Completed","messageId":"w-bad","timestamp":"\#(timestamp)","properties":{"region":"west","brand_event_set":"x y|z","email":"x@example.com"}}"#)
        for n in 0..<10 {
            lines.append(#"{"type":"track","event":"Lead Qualified","messageId":"l-\#(n)","timestamp":"\#(timestamp)","properties":{"lead_id":"74\#(n)","email":"l\#(n)@example.com"}}"#)
        }
        lines.append(#"{"type":"track","event":"Lead Qualified","messageId":"l-none","timestamp":"\#(timestamp)","properties":{"email":"l@example.com"}}"#)
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func eachRouteGetsItsOwnRequestsAndCounts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try FileManager.default.createDirectory(atPath: directory.file("mappings"), withIntermediateDirectories: true)
        for (name, text) in Self.mappings { try text.write(toFile: directory.file("mappings/" + name), atomically: true, encoding: .utf8) }
        try Self.events(timestamp: SegmentEvents.timestamp).write(toFile: directory.file("events.ndjson"), atomically: true, encoding: .utf8)

        // What each route's requests look like, before anything is sent.
        let dryRun = try ToolProcess(["dry-run", "--mappings", directory.file("mappings"), "--input", directory.file("events.ndjson"),
                                      "--event-set-id", "7000000000000000000"], in: directory, name: "dry-run")
        #expect(await dryRun.wait() == 0, "\(dryRun.stderr)")
        let lines = try dryRun.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
        let crm = try #require(lines.first { $0["mapping"] == "Qualified leads" }?["body"])
        #expect(crm["event_source"] == "crm" && crm["event_source_id"] == "7000000000000000009")
        let lead = try #require(crm["data"]?.arrayValue?.first)
        #expect(lead["lead"] == ["lead_id": "740", "lead_event_source": "HubSpot"])
        #expect(lead["user"]?["lead_id"] == nil, "a CRM event names its lead in lead, not in user")
        let errors = lines.filter { $0["error"] != nil }.compactMap { $0["error"]?.stringValue }
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("event_set_id: not an event set id") })
        #expect(errors.contains { $0.hasPrefix("lead_id: a CRM event needs") })

        let mock = try await MockProcess(["--fail-rate", "0.1"], in: directory)
        let run = try ToolProcess(["run", "--mappings", directory.file("mappings"), "--input", directory.file("events.ndjson"),
                                   "--event-set-id", "7000000000000000000", "--access-token", "t", "--endpoint", mock.baseURL,
                                   "--outbox", directory.file("outbox.sqlite"), "--json-summary"], in: directory, name: "run")
        #expect(await run.wait() == 0, "\(run.stderr)")
        let stats = try await mock.stats()
        let sets = try #require(stats["event_sets"]?.objectValue)
        #expect(sets.keys.sorted() == ["7000000000000000001", "7000000000000000002", "7000000000000000003", "7000000000000000009"])
        #expect(sets["7000000000000000001"]?["unique_events"] == 30 && sets["7000000000000000001"]?["event_source"] == "offline")
        #expect(sets["7000000000000000002"]?["unique_events"] == 10 && sets["7000000000000000003"]?["unique_events"] == 10)
        #expect(sets["7000000000000000009"]?["unique_events"] == 10 && sets["7000000000000000009"]?["event_source"] == "crm")
        #expect(stats["unique_events"] == 60)
        await mock.stop()
    }

    @Test func aDestinationBlockWithAnUnknownKeyIsRefusedAtLoad() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try """
            name: Bad
            trigger: all
            action: reportOfflineEvent
            destination:
              event_set: "7000"
            mapping:
              event: Lead
            """.write(toFile: directory.file("bad.yaml"), atomically: true, encoding: .utf8)
        let lint = try ToolProcess(["dry-run", "--mapping", directory.file("bad.yaml"), "--event-set-id", "s", "--input", "/dev/null"],
                                   in: directory, name: "lint")
        #expect(await lint.wait() != 0)
        #expect(lint.stderr.contains("'event_set' is not a destination setting") && lint.stderr.contains("did you mean 'event_set_id'"), "\(lint.stderr)")
    }
}
