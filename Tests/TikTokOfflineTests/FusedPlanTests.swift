import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

@testable import TikTokMock
@testable import TikTokOffline

/// The fused plan (``TikTokFusedPlan``) against the general path it stands in for: for every
/// event, routing with a plan (`preparingAt:`) and without must end in the same records, with
/// the same outcomes, warnings and `data` elements, byte for byte. Events are the corpus, bent
/// as in RoutingEquivalenceTests and, more often, in the identifier, timestamp and contents
/// values the plan handles itself; settings vary what the stages do with them.
@Suite struct FusedPlanTests {
    /// The settings each seed runs with, in turn: the defaults without stale checks, a country
    /// code for phones, and stale events refused as of a date inside the corpus's months.
    static let settings: [(TikTokSettings, now: Int64)] = [
        (TikTokSettings(accessToken: "t", eventSetID: "s", partnerName: "Segment", staleEvents: .off), 1_700_000_000),
        (TikTokSettings(accessToken: "t", eventSetID: "s", defaultCountryCode: "44", staleEvents: .off), 1_700_000_000),
        (TikTokSettings(accessToken: "t", eventSetID: "s", partnerName: "Segment", staleEvents: .reject), 1_707_000_000),
        (TikTokSettings(accessToken: "t", eventSetID: "s", testEventCode: "T1", staleEvents: .warn), 1_707_000_000),
    ]

    /// Values the plan reads itself: identifiers in every form the normalizer meets, dates,
    /// numbers as text, and product lists of every shape.
    static let fusedValues: [JSON] = [
        " Buyer@Example.COM ", "buyer@example.com", "no-at-sign", "@example.com", "buyer@", "\t",
        "Ünïcödé@Example.com", "ＡＢＣ@example.com", "\u{00A0}x@example.com\u{3000}", .string(String(repeating: "AB12", count: 16)),
        "+44 20 7946 0958", "0044 20 7946 0958", " 00 1 415 555 0100", "(415) 555-0100", "555", "+1234567890123456",
        "+٤٤ 20 7946 0958", "User-ABC", " ", "", .null, 4_155_550_100, 15.5, true, ["a@b.co", "", nil, "X@Y.ZZ"],
        "2024-01-08T13:52:50.212Z", "2024-02-01", "2024-02-01 10:00", "not a date", "2023-12-01T00:00:00+01:00",
        "12.50", "1e3", "0", "-0", 0, "Purchase", "crm", "offline", "https://shop.example.com/p?ttclid=abc&x=1",
        "https://shop.example.com/p?%74tclid=enc", "bad url ?ttclid=x",
        [["product_id": 7, "price": "3.5", "quantity": "2", "category": nil, "name": "", "brand": true]],
        [["price": [4], "quantity": ["x"]]], [["price": "NaN"]], [nil, ["product_id": "p"]], ["product_id": "solo", "price": 2],
        [[:], ["extra": "dropped", "name": "Sock"]], ["not an object"], [],
    ]

    /// The paths the plan reads, where bent values go most often.
    static let fusedPaths: [[String]] = [
        ["properties", "email"], ["properties", "phone"], ["context", "traits", "email"], ["context", "traits", "phone"],
        ["userId"], ["anonymousId"], ["timestamp"], ["messageId"], ["properties", "products"], ["properties", "price"],
        ["properties", "quantity"], ["properties", "value"], ["properties", "revenue"], ["properties", "currency"],
        ["properties", "ttclid"], ["context", "page", "url"], ["context", "ip"], ["context", "userAgent"],
        ["properties", "limited_data_use"], ["properties", "order_id"], ["event"], ["properties", "product_id"],
    ]

    /// 40 seeds of 12,500 events (500,000 in all), each seed with one of the settings.
    @Test(arguments: 0..<40)
    func fusedRecordsMatchTheGeneralPath(seed: Int) async throws {
        let (settings, now) = Self.settings[seed % Self.settings.count]
        let engine = try TikTokDestination.engine(settings: settings, enableAll: true, sink: DryRunSink())
        var random = SplitMix64(seed: UInt64(seed) &+ 1_000)
        var fused = Batch()
        var general = Batch()
        var document = JSONDocument()
        var figures = (records: 0, prepared: 0)
        // Match quality from the keys noted as elements were written, and read back from them.
        var noted = MatchQuality()
        var read = MatchQuality()
        for n in 0..<12_500 {
            let line = RoutingEquivalenceTests.corpus[(seed * 12_500 + n) % RoutingEquivalenceTests.corpus.count]
            let text = Self.mutate(line, using: &random)
            let parsed = Array(text.utf8).withUnsafeBytes { (try? document.parse($0)) != nil }
            guard parsed else { continue }
            let a = Result { () throws(EventError) in try engine.route(document, line: n + 1, into: &fused, preparingAt: now) }
            let b = Result { () throws(EventError) in try engine.route(document, line: n + 1, into: &general) }
            #expect(a.isFailure == b.isFailure, "line \(n + 1)")
            if fused.count >= 512 || n == 12_499 {
                try await engine.process(&fused, now: now)
                try await engine.process(&general, now: now)
                try #require(fused.count == general.count)
                for (x, y) in zip(fused.records, general.records) {
                    let sameRecord = x.line == y.line && x.mapping == y.mapping && x.outcome == y.outcome && x.warnings == y.warnings
                    let sameElement = x.output == y.output && x.outputNotes == y.outputNotes
                    let sameDelivery = x.isPrepared ? x.fields == Self.deliveryFields(of: y.fields) : x.fields == y.fields
                    #expect(sameRecord, "seed \(seed) line \(x.line), \(x.mapping): \(x.outcome) fused, \(y.outcome) general")
                    #expect(sameElement, "seed \(seed) line \(x.line), \(x.mapping): the elements differ")
                    #expect(sameDelivery, "seed \(seed) line \(x.line), \(x.mapping): what delivery reads differs")
                    figures.records += 1
                    if x.isPrepared { figures.prepared += 1 }
                    noted.add(x)
                    var unnoted = x
                    unnoted.outputNotes = nil
                    read.add(unnoted)
                }
                fused.removeAll()
                general.removeAll()
            }
        }
        #expect(noted.mappings == read.mappings, "seed \(seed): the match keys noted differ from the elements'")
        // The comparison is not empty: most records take the fused path, and many do not.
        #expect(figures.records > 8_000)
        #expect(figures.prepared > figures.records / 4, "\(figures.prepared) of \(figures.records) prepared")
        #expect(figures.prepared < figures.records, "some records take the general path")
    }

    /// The unbent corpus takes the fused path nearly always, and dry-run prints the same bytes
    /// either way.
    @Test func theCorpusIsPreparedAndPrintedAlike() async throws {
        let settings = TikTokSettings(accessToken: "t", eventSetID: "s", partnerName: "Segment", staleEvents: .off)
        var printed: [[UInt8]] = []
        var prepared = 0
        var records = 0
        for fuse in [true, false] {
            let engine = try TikTokDestination.engine(settings: settings, enableAll: true, fused: fuse, sink: DryRunSink())
            var batch = Batch()
            var document = JSONDocument()
            for (n, line) in RoutingEquivalenceTests.corpus.enumerated() {
                let parsed = Array(line.utf8).withUnsafeBytes { (try? document.parse($0)) != nil }
                try #require(parsed)
                try engine.route(document, line: n + 1, into: &batch, preparingAt: 1_700_000_000)
            }
            try await engine.process(&batch, now: 1_700_000_000)
            var printer = DryRunPrinter(destination: TikTokOfflineDestination(settings: settings))
            for record in batch.records { printer.write(record) }
            printed.append(printer.buffer)
            if fuse {
                records = batch.count
                prepared = batch.records.count { $0.isPrepared }
            }
        }
        #expect(printed[0] == printed[1])
        #expect(records > 1_500)
        #expect(prepared * 10 >= records * 9, "\(prepared) of \(records) prepared")
    }

    /// A pipeline with a stage of one's own is never fused: the stage may read or change fields.
    @Test func aCustomStageTurnsFusionOff() throws {
        struct Passing: Stage {
            func process(_ batch: inout Batch, context: StageContext) async throws {}
        }
        let settings = TikTokSettings(accessToken: "t", eventSetID: "s", staleEvents: .off)
        let engine = try TikTokDestination.engine(settings: settings, enableAll: true, sink: DryRunSink()) { registry, pipeline in
            try registry.register(Passing(), as: "acme.passing")
            try pipeline.insert("acme.passing", before: "hash")
        }
        var batch = Batch()
        for (n, line) in RoutingEquivalenceTests.corpus.prefix(200).enumerated() {
            try engine.route(try JSONDocument(parsing: line), line: n + 1, into: &batch, preparingAt: 1_700_000_000)
        }
        #expect(batch.count > 100)
        let prepared = batch.records.count { $0.isPrepared }
        #expect(prepared == 0)
        let planned = TikTokFusedPlanner().plan(for: engine.enabledMappings[0], pipeline: engine.pipeline) != nil
        #expect(!planned)
    }

    /// An engine says at start-up which mappings its destination could not fuse: a custom stage
    /// slows every mapping, and the operator is told so instead of finding out from the figures.
    @Test(arguments: [false, true])
    func theMappingsThatAreNotFusedAreNamedAtStartUp(customStage: Bool) throws {
        struct Passing: Stage {
            func process(_ batch: inout Batch, context: StageContext) async throws {}
        }
        let capture = LogCapture()
        let destination = TikTokOfflineDestination(settings: TikTokSettings(accessToken: "t", eventSetID: "s", staleEvents: .off))
        let engine = try destination.engine(enableAll: true, sink: DryRunSink(), logger: capture.logger()) { registry, pipeline in
            guard customStage else { return }
            try registry.register(Passing(), as: "acme.passing")
            try pipeline.insert("acme.passing", before: "hash")
        }
        let notices = capture.captured.filter { $0.level == .notice }
        #expect(engine.enabledMappings.count == 15)
        if customStage {
            #expect(engine.fusedMappings.isEmpty)
            #expect(notices.count == 1)
            #expect(notices.first?.message.hasPrefix("15 of 15 mappings take the general path") == true)
            #expect(notices.first?.metadata["mappings"]?.contains("Complete Payment") == true)
        } else {
            #expect(engine.fusedMappings.count == 15)
            #expect(notices.isEmpty, "\(notices.map(\.message))")
        }
    }

    static func deliveryFields(of fields: JSONObject) -> JSONObject {
        var kept = JSONObject()
        for member in fields.members where TikTokFusedPlan.deliveryKeys.contains(member.key) { kept[member.key] = member.value }
        return kept
    }

    /// One time in five as it is, or bent as RoutingEquivalenceTests bends events, or with keys
    /// written twice inside products and traits (the later value wins); otherwise one to three
    /// of the values the plan reads replaced with ``fusedValues``.
    static func mutate(_ line: String, using random: inout SplitMix64) -> String {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return line
        case 1: return RoutingEquivalenceTests.bend(line, using: &random)
        case 2:
            return line.replacingOccurrences(of: "\"price\":", with: "\"price\":\"1.25\",\"price\":")
                .replacingOccurrences(of: "\"name\":", with: "\"name\":7,\"name\":")
                .replacingOccurrences(of: "\"email\":", with: "\"email\":\"first@example.com\",\"email\":")
        default:
            guard case .object(var event) = try! JSON.parse(line) else { return line }
            for _ in 0..<(1 + Int.random(in: 0..<3, using: &random)) {
                let path = fusedPaths.randomElement(using: &random)!
                set(fusedValues.randomElement(using: &random)!, at: path[...], in: &event)
            }
            return JSON.object(event).serialized()
        }
    }

    private static func set(_ value: JSON, at path: ArraySlice<String>, in object: inout JSONObject) {
        guard let key = path.first else { return }
        if path.count == 1 {
            object[key] = value
            return
        }
        var inner = object[key]?.objectValue ?? JSONObject()
        set(value, at: path.dropFirst(), in: &inner)
        object[key] = .object(inner)
    }
}
