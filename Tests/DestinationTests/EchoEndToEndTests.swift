import ConversionEngine
import Delivery
import Foundation
import JSONKit
import OutboxPostgres
import OutboxSQLite
import OutboxTesting
import ProcessTesting
import Runtime
import Testing

/// A destination that lives in this test target only runs end to end through the public API:
/// a dry run shows its previews, and the outbox sink stores its records in each store, from
/// which a deliverer sends each exactly once with the destination's own transport.
@Suite("Echo destination, end to end", .timeLimit(.minutes(2)))
struct EchoEndToEndTests {
    enum Store: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres, memory
        var testDescription: String { rawValue }
    }

    /// 300 tracks on two channels, ids unique; 10 of them sent again; 5 pages that fire nothing.
    static func events() -> RawEvents {
        var raw = RawEvents()
        var line = 0
        func add(_ text: String) {
            line += 1
            raw.append(number: line, Array(text.utf8))
        }
        for n in 0..<300 {
            add(#"{"type":"track","event":"Signed Up","messageId":"m-\#(n)","properties":{"channel":"\#(n % 2 == 0 ? "web" : "crm")"}}"#)
        }
        for n in 0..<10 { add(#"{"type":"track","event":"Signed Up","messageId":"m-\#(n)","properties":{"channel":"\#(n % 2 == 0 ? "web" : "crm")"}}"#) }
        for n in 0..<5 { add(#"{"type":"page","name":"Home","messageId":"p-\#(n)"}"#) }
        return raw
    }

    @Test func aDryRunShowsTheDestinationsPreviews() async throws {
        let echo = EchoDestination(file: "/dev/null")
        let engine = try echo.engine(sink: DryRunSink())
        let ingested = try await Ingest(engine: engine).process(Self.events())
        var printer = DryRunPrinter(destination: echo)
        for record in ingested.batch.records { printer.write(record) }
        let lines = String(decoding: printer.takeOutput(), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 310)
        let first = try JSON.parse(String(lines[0]))
        #expect(first["mapping"] == "Echo Tracks")
        #expect(first["body"] == ["echo": ["event": "Signed Up", "id": "m-0", "channel": "web"]])
        #expect(ingested.totals.unmapped == 5)
    }

    @Test(arguments: Store.allCases)
    func storedRecordsAreDeliveredOnceByItsOwnTransport(_ store: Store) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let received = directory.file("received.ndjson")
        let echo = EchoDestination(file: received)
        let outbox: any OutboxStore = switch store {
        case .sqlite: try Outbox(path: directory.file("outbox.sqlite"))
        case .postgres: try await PostgresOutbox(url: try await TestDatabase.fresh(directory: directory))
        case .memory: InMemoryOutbox()
        }
        let sink = OutboxSink(outbox: outbox)
        let ingested = try await Ingest(engine: try echo.engine(sink: sink)).process(Self.events())
        #expect(ingested.totals.accepted == 310)
        #expect(sink.enqueued == EnqueueResult(inserted: 300, duplicates: 10), "the same id twice is stored once")
        let queues = try await outbox.pendingDestinations()
        #expect(queues == ["echo:crm", "echo:web"])
        #expect(queues.allSatisfy(echo.owns(queue:)))

        let transport = try #require(echo.transport())
        let deliverer = Deliverer(outbox: outbox, transport: transport, destinations: queues)
        deliverer.finishInput()
        let report = await deliverer.run()
        #expect(report.sent == 300 && report.failure == nil, "\(report)")
        #expect(try await outbox.counts().pending == 0)
        await outbox.close()

        let lines = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n")
        let ids = try lines.map { try JSON.parse(String($0))["id"]?.stringValue ?? "" }
        #expect(ids.count == 300 && Set(ids) == Set((0..<300).map { "m-\($0)" }), "each record once")
    }
}
