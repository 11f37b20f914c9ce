import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// One flipped byte inside a stored payload (SQLite's own check cannot see it: its pages are
/// sound): `outbox check` reports it, `recover` leaves the event out, and delivery dead-letters
/// it with the reason instead of sending the corrupt bytes.
@Suite("outbox payload checksums (processes)", .timeLimit(.minutes(3)))
struct OutboxChecksumTests {
    static let credentials = ["--access-token", "test-token", "--event-set-id", "test-event-set-id"]

    @Test func aFlippedByteInAStoredPayloadIsFoundAndNeverSent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 10, invalid: 0)
        let outbox = directory.file("outbox.sqlite")
        let store = try ToolProcess(["run", "--no-deliver", "--input", input, "--outbox", outbox] + Self.credentials, in: directory, name: "store")
        #expect(await store.wait() == 0, "\(store.stderr)")
        let wal = (try? FileManager.default.attributesOfItem(atPath: outbox + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "the events are in the database file itself")

        // order-7 becomes order-8: still JSON, still a plausible event, but not what was stored.
        var file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: outbox)))
        let needle = Array(#""order_id":"order-7""#.utf8)
        let at = try #require(file.indices.first { file[$0...].starts(with: needle) }, "the payload is in the file")
        file[at + needle.count - 2] = UInt8(ascii: "8")
        try Data(file).write(to: URL(fileURLWithPath: outbox))

        let check = try ToolProcess(["outbox", "check", "--outbox", outbox, "--json"], in: directory, name: "check")
        #expect(await check.wait() == 7, "damaged: \(check.stdout)")
        let report = try JSON.parse(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(report["sound"] == false)
        #expect(report["problems"]?.arrayValue?.contains { $0.stringValue?.contains("1 pending event in 1 stored batch no longer matches its checksum") == true } == true, "\(report)")

        let recover = try ToolProcess(["outbox", "recover", "--outbox", outbox, "--to", directory.file("saved.sqlite"), "--json"], in: directory, name: "recover")
        #expect(await recover.wait() == 0, "\(recover.stderr)")
        let recovery = try JSON.parse(recover.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(recovery["saved_pending"] == 9 && recovery["lost_pending"] == 1, "\(recovery)")

        let mock = try await MockProcess(in: directory)
        let deliver = try ToolProcess(["deliver", "--outbox", outbox, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials,
                                      in: directory, name: "deliver")
        _ = await deliver.wait()
        #expect(try await mock.uniqueEvents() == 9, "the damaged event is not sent")
        let letters = try ToolProcess(["dead-letters", "list", "--outbox", outbox, "--json"], in: directory, name: "letters")
        #expect(await letters.wait() == 0)
        #expect(letters.stdout.contains("damaged in the outbox"), "\(letters.stdout)")
        #expect(letters.stdout.split(separator: "\n").count == 1)
        let after = try ToolProcess(["outbox", "check", "--outbox", outbox], in: directory, name: "after")
        #expect(await after.wait() == 0, "nothing damaged is pending any more: \(after.stdout)")
        await mock.stop()
    }
}
