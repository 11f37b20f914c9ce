import ConversionEngine
import Delivery
import Foundation
import JSONKit
import MappingKit
import OutboxSQLite
import ProcessTesting
import Runtime
import Testing
@testable import TikTokOffline
import TikTokEventsAPI

@Suite("Outbox sink and ingest")
struct OutboxIngestTests {
    static let route = TikTokRoute(eventSetID: "set-1", partnerName: "Segment", accessToken: "secret-token")
    static let settings = TikTokSettings(accessToken: "secret-token", eventSetID: "set-1", partnerName: "Segment", staleEvents: .off)

    @Test func storesHashedElementsCountsEveryLineAndReingestsIdempotently() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 10, invalid: 2)
        let extra = "not json\n" + #"{"type":"page","name":"Home","anonymousId":"a-1"}"# + "\n\n"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        handle.seekToEndOfFile()
        handle.write(Data(extra.utf8))
        try handle.close()

        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let sink = OutboxSink(outbox: outbox)
        let engine = try TikTokDestination.engine(settings: Self.settings, sink: sink)
        var rejections: [Ingest.Rejection] = []
        let fd = open(input, O_RDONLY)
        defer { close(fd) }
        var source = NDJSONSource(fileDescriptor: fd)
        let totals = try await Ingest(engine: engine).run(&source, batchSize: 4, parallelBatches: 2) { rejections += $0.rejections }

        #expect(totals.received == 14, "blank lines are not events")
        #expect(totals.badLines == 1 && totals.records == 12)
        #expect(totals.accepted == 10 && totals.rejected == 2 && totals.skipped == 0)
        #expect(rejections.map(\.line) == [11, 12, 13])
        #expect(rejections.last?.mapping == nil && rejections.first?.mapping == "Complete Payment")
        #expect(sink.enqueued == EnqueueResult(inserted: 10, duplicates: 0))

        let stored = try await outbox.pending(destination: Self.route.outboxDestination, limit: 100)
        #expect(stored.count == 10)
        for entry in stored {
            let element = try JSON.parse(bytes: entry.payload)
            #expect(element["event"] == "CompletePayment")
            #expect(entry.key == TikTokEventKey.make(event: "CompletePayment", eventID: element["event_id"]?.stringValue ?? "?"))
            #expect(element["user"]?["email"]?.arrayValue?.allSatisfy { $0.stringValue?.utf8.count == 64 } == true)
            let text = String(decoding: entry.payload, as: UTF8.self)
            #expect(!text.lowercased().contains("@example.com") && !text.contains("user-"), "only hashed identifiers are stored")
        }

        let fd2 = open(input, O_RDONLY)
        defer { close(fd2) }
        var again = NDJSONSource(fileDescriptor: fd2)
        try await Ingest(engine: engine).run(&again, batchSize: 4) { _ in }
        #expect(sink.enqueued == EnqueueResult(inserted: 10, duplicates: 10))
        #expect(try await outbox.counts().pending == 10)
    }

    /// What `run` stores for TikTok is, element for element, what `dry-run` shows: the 2,000-event
    /// corpus through every preset, once through the dry-run printer and once into an outbox.
    @Test func theOutboxHoldsExactlyWhatDryRunShows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson").path

        let printed = directory.file("dry-run.ndjson")
        try #require(FileManager.default.createFile(atPath: printed, contents: nil))
        let dryRunner = DryRunner(
            engine: try TikTokDestination.engine(settings: Self.settings, enableAll: true, sink: DryRunSink()),
            destination: TikTokOfflineDestination(settings: Self.settings))
        let (input, output) = (open(corpus, O_RDONLY), open(printed, O_WRONLY))
        let summary = try await dryRunner.run(input: input, output: output)
        close(input)
        close(output)
        var shown: [JSON: Int] = [:]
        for line in try String(contentsOfFile: printed, encoding: .utf8).split(separator: "\n") {
            guard let data = try JSON.parse(String(line))["body"]?["data"]?.arrayValue else { continue }
            try #require(data.count == 1)
            shown[data[0], default: 0] += 1
        }

        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let engine = try TikTokDestination.engine(settings: Self.settings, enableAll: true, sink: OutboxSink(outbox: outbox))
        let fd = open(corpus, O_RDONLY)
        defer { close(fd) }
        var source = NDJSONSource(fileDescriptor: fd)
        let totals = try await Ingest(engine: engine).run(&source, batchSize: 1_000, parallelBatches: 4) { _ in }
        var stored: [JSON: Int] = [:]
        for entry in try await outbox.pending(limit: 10_000) { stored[try JSON.parse(bytes: entry.payload), default: 0] += 1 }

        #expect(summary.accepted == totals.accepted && totals.accepted > 1_500)
        #expect(shown.values.reduce(0, +) == summary.accepted)
        #expect(stored == shown)
    }

    /// Batches processed at once are stored in the order they were read, even when a later one
    /// is ready first: a stage holds each even batch back, so odd batches would otherwise win.
    @Test func parallelBatchesAreStoredInInputOrder() async throws {
        struct HoldEvenBatches: Stage {
            var eventNeeds: EventNeeds { .nothing }
            func process(_ batch: inout Batch, context: StageContext) async throws {
                if let line = batch.records.first?.line, (line / 5) % 2 == 0 { try await Task.sleep(for: .milliseconds(20)) }
            }
        }
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 200, invalid: 0)
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let engine = try TikTokDestination.engine(settings: Self.settings, sink: OutboxSink(outbox: outbox)) { registry, pipeline in
            try registry.register(HoldEvenBatches(), as: "test.hold-even-batches")
            try pipeline.insert("test.hold-even-batches", before: "send")
        }
        let fd = open(input, O_RDONLY)
        defer { close(fd) }
        var source = NDJSONSource(fileDescriptor: fd)
        let totals = try await Ingest(engine: engine).run(&source, batchSize: 5, parallelBatches: 6) { _ in }
        #expect(totals.accepted == 200)
        let stored = try await outbox.pending(destination: Self.route.outboxDestination, limit: 1_000)
        let ids = try stored.map { try JSON.parse(bytes: $0.payload)["event_id"]?.stringValue ?? "" }
        let read = try String(contentsOfFile: input, encoding: .utf8).split(separator: "\n").map {
            try JSON.parse(String($0))["messageId"]?.stringValue ?? ""
        }
        #expect(ids == read, "the outbox holds the events in the order they were read")
    }

    /// Events without a messageId map to records without an event_id: the send stage gives each a
    /// random one before writing its element, so the stored element, its key and the record's
    /// fields (which the debug view reads) carry the same id; the dry-run shows none.
    @Test func aRecordWithoutEventIDIsStoredUnderTheIDItsElementCarries() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let engine = try TikTokDestination.engine(settings: Self.settings, sink: OutboxSink(outbox: outbox))
        let events: [JSON] = (0..<3).map { n in
            ["type": "track", "event": "Order Completed", "userId": .string("u-\(n)"), "properties": ["email": .string("b\(n)@example.com")]]
        }
        let records = try await engine.process(events: events)
        #expect(records.count == 3 && records.allSatisfy { $0.outcome == .sent })
        let stored = try await outbox.pending(destination: Self.route.outboxDestination, limit: 10)
        #expect(stored.count == 3)
        for (record, entry) in zip(records, stored) {
            let id = try #require(record.fields["event_id"]?.stringValue)
            #expect(id.count == 36)
            #expect(entry.key == TikTokEventKey.make(event: "CompletePayment", eventID: id))
            #expect(try JSON.parse(bytes: entry.payload)["event_id"]?.stringValue == id)
            #expect(OutboxMessage(tiktokRecord: record)?.key == entry.key)
        }
        #expect(Set(stored.map(\.key)).count == 3)

        let dryRun = try await TikTokDestination.engine(settings: Self.settings, sink: DryRunSink()).process(events: events)
        #expect(dryRun.allSatisfy { $0.fields["event_id"] == nil && $0.outcome == .sent }, "a dry run makes up no id")
    }

    /// The same through ingest, where the records are prepared by the fused plans: the plan
    /// gives the id, and the stored element, its key and what delivery reads agree.
    @Test func aPreparedRecordWithoutEventIDIsStoredUnderTheIDItsElementCarries() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let engine = try TikTokDestination.engine(settings: Self.settings, sink: OutboxSink(outbox: outbox))
        var events = RawEvents()
        for n in 0..<3 {
            let event: JSON = ["type": "track", "event": "Order Completed", "userId": .string("u-\(n)"), "properties": ["email": .string("b\(n)@example.com")]]
            events.append(number: n + 1, Array(event.serialized().utf8))
        }
        let records = try await Ingest(engine: engine).process(events).batch.records
        #expect(records.count == 3 && records.allSatisfy { $0.outcome == .sent && $0.isPrepared })
        let stored = try await outbox.pending(destination: Self.route.outboxDestination, limit: 10)
        #expect(stored.count == 3)
        for (record, entry) in zip(records, stored) {
            let id = try #require(record.fields["event_id"]?.stringValue)
            #expect(id.count == 36)
            #expect(entry.key == TikTokEventKey.make(event: "CompletePayment", eventID: id))
            #expect(try JSON.parse(bytes: entry.payload)["event_id"]?.stringValue == id)
        }
        #expect(Set(stored.map(\.key)).count == 3)
    }

    @Test func anElementWithoutEventIDGetsOneBeforeUser() throws {
        var element = TestEvents.element(7).objectValue!
        element["event_id"] = nil
        element["event"] = "Contact"
        let message = OutboxMessage(tiktokEvent: .object(element))
        let stored = try JSON.parse(bytes: message.payload)
        let (event, eventID) = TikTokEventKey.parse(message.key)
        #expect(event == "Contact" && eventID.count == 36)
        #expect(stored["event_id"]?.stringValue == eventID)
        #expect(stored.objectValue.map { Array($0.keys.prefix(4)) } == ["event", "event_time", "event_id", "user"])
        var withoutID = stored.objectValue!
        withoutID["event_id"] = nil
        #expect(withoutID == element)
        #expect(OutboxMessage(tiktokEvent: .object(element)).key != message.key, "each gets its own id")
    }

    @Test func theEnvelopeMatchesTheRequestBuilder() throws {
        let elements = (0..<3).map { TestEvents.element($0) }
        let entries = elements.enumerated().map { OutboxEntry(id: Int64($0.offset), key: "k\($0.offset)", payload: Array($0.element.serialized().utf8), attempts: 0) }
        for (route, settings) in [
            (Self.route, Self.settings),
            (TikTokRoute(eventSetID: "set \"2\"", accessToken: "t"), TikTokSettings(accessToken: "t", eventSetID: "set \"2\"")),
            (TikTokRoute(eventSetID: "set-3", accessToken: "t", testEventCode: "TEST\"9"),
             TikTokSettings(accessToken: "t", eventSetID: "set-3", testEventCode: "TEST\"9")),
        ] {
            let body = TikTokEnvelope(route: route).body(for: entries[...])
            var written: [UInt8] = []
            let builder = TikTokRequestBuilder(settings: settings)
            builder.writeBody(serializedData: entries.map(\.payload), route: .init(eventSetID: route.eventSetID, testEventCode: route.testEventCode),
                              into: &written)
            #expect(Array(body.readableBytesView) == written, "delivery's request bytes are the builder's")
            let parsed = try JSON.parse(bytes: body.readableBytesView)
            #expect(parsed["data"]?.arrayValue == elements)
            #expect(parsed["test_event_code"]?.stringValue == route.testEventCode)
        }
    }
}
