import Delivery
import Foundation
import MappingKit
import OutboxSQLite
import ProcessTesting
import Testing
import TikTokEventsAPI
import TikTokOffline

/// The outbox key (event, event_id) is unambiguous: no two different pairs share one, and keys
/// of ordinary names are what they always were (outboxes written earlier read as before).
@Suite("outbox keys")
struct OutboxKeyTests {
    @Test(arguments: [
        ("CompletePayment", "m-1", "CompletePayment/m-1"),  // unchanged for every standard event
        ("A", "B/C", "A/B/C"),
        ("A/B", "C", "A%2FB/C"),
        ("50%", "x", "50%25/x"),
        ("50%2F", "x", "50%252F/x"),
        ("", "id", "/id"),
    ])
    func keysAreUnambiguousAndParseBack(_ event: String, _ eventID: String, _ key: String) {
        #expect(TikTokEventKey.make(event: event, eventID: eventID) == key)
        #expect(TikTokEventKey.parse(key) == (event, eventID))
    }

    /// The finding: (event "A", id "B/C") and (event "A/B", id "C") were one key, so one of them
    /// was counted a duplicate and never sent. Both are stored in a real outbox now.
    @Test func twoEventsThatOnceSharedAKeyAreBothStored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let messages = [("A", "B/C"), ("A/B", "C")].map { event, id in
            OutboxMessage(tiktokEvent: ["event": .string(event), "event_time": 1_767_225_600, "event_id": .string(id), "user": ["email": []]])
        }
        #expect(messages[0].key != messages[1].key)
        let result = try await outbox.enqueue(messages, destination: "tiktok:set-1")
        #expect(result.duplicates == 0)
        #expect(try await outbox.counts().pending == 2)
        await outbox.close()
    }
}
