import ConversionEngine
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline

/// Adds a country to every record's locale: a custom stage as an embedding app writes one.
private struct TagStore: Stage {
    func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { record in
            record.fields["shop_id"] = "store-42"
        }
    }
}

/// Reads the event's country, declaring nothing: it gets the whole event.
private struct CountryFromEvent: Stage {
    func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { record in
            if let country = record.event["context"]?["location"]?["country"]?.stringValue {
                record.fields["locale"] = .string("en-\(country)")
            }
        }
    }
}

@Suite struct EmbeddingTests {
    static let settings = TikTokSettings(accessToken: "t", eventSetID: "s")

    @Test func aCustomStageRunsWhereItIsInserted() async throws {
        let engine = try TikTokDestination.engine(settings: Self.settings, sink: DryRunSink()) { registry, pipeline in
            try registry.register(TagStore(), as: "acme.tag-store")
            try pipeline.insert("acme.tag-store", before: "send")
        }
        #expect(engine.pipeline.stageNames == ["consent", "normalize", "hash", "validate", "acme.tag-store", "send"])
        let records = try await engine.process(events: [
            ["type": "track", "event": "Order Completed", "userId": "u"],
            ["type": "track", "event": "Nothing Fires"],
        ])
        #expect(records.count == 1)
        #expect(records[0].outcome == .sent)
        #expect(records[0].element?["properties"]?["shop_id"] == "store-42")
    }

    static let events: [JSON] = [
        ["type": "track", "event": "Order Completed", "userId": "u", "messageId": "m1",
         "context": ["location": ["country": "NZ"], "consent": ["categoryPreferences": ["Advertising": true]]],
         "properties": ["products": [["product_id": "p1", "price": "4.5"]], "value": 9]],
        ["type": "track", "event": "Order Completed", "properties": ["email": "A@B.CO"], "context": ["consent": ["categoryPreferences": ["Advertising": false]]]],
        ["type": "track", "event": "Nothing Fires"],
    ]

    /// Routing an event read in place makes the same records as routing its tree.
    @Test func documentsRouteLikeTrees() async throws {
        let engine = try TikTokDestination.engine(settings: Self.settings, enableAll: true, sink: DryRunSink())
        var fromTrees = Batch()
        var fromDocuments = Batch()
        for (i, event) in Self.events.enumerated() {
            try engine.route(event, line: i + 1, into: &fromTrees)
            try engine.route(try JSONDocument(parsing: event.serialized()), line: i + 1, into: &fromDocuments)
        }
        try await engine.process(&fromTrees, now: 1_700_000_000)
        try await engine.process(&fromDocuments, now: 1_700_000_000)
        #expect(fromDocuments.count == fromTrees.count)
        for (a, b) in zip(fromTrees.records, fromDocuments.records) {
            #expect(a.event == b.event, "a stage sees the same event both ways")
            #expect(a.mapping == b.mapping)
            #expect(a.outcome == b.outcome)
            #expect(a.fields == b.fields)
            #expect(a.output == b.output)
        }
        #expect(fromDocuments.records.map(\.outcome).contains(.skipped(reason: "no consent")))
    }

    /// Built-in stages declare what they read, so records from documents carry only that part
    /// of the event; a stage that declares nothing sees the whole event.
    @Test func recordsCarryTheEventPartsStagesRead() async throws {
        let builtIn = try TikTokDestination.engine(settings: Self.settings, sink: DryRunSink())
        #expect(builtIn.pipeline.eventNeeds == .paths(["context.consent"]))
        var batch = Batch()
        try builtIn.route(try JSONDocument(parsing: Self.events[0].serialized()), line: 1, into: &batch)
        #expect(batch.records.first?.event == ["context": ["consent": ["categoryPreferences": ["Advertising": true]]]])

        let custom = try TikTokDestination.engine(settings: Self.settings, sink: DryRunSink()) { registry, pipeline in
            try registry.register(CountryFromEvent(), as: "acme.country")
            try pipeline.insert("acme.country", before: "send")
        }
        #expect(custom.pipeline.eventNeeds == .everything)
        batch = Batch()
        try custom.route(try JSONDocument(parsing: Self.events[0].serialized()), line: 1, into: &batch)
        #expect(batch.records.first?.event == Self.events[0])
        try await custom.process(&batch)
        #expect(batch.records.first?.fields["locale"] == "en-NZ")
    }

    /// An event that is not an object comes back as a rejected record, not silently dropped.
    @Test func anEventThatIsNotAnObjectIsReportedRejected() async throws {
        let engine = try TikTokDestination.engine(settings: Self.settings, sink: DryRunSink())
        let records = try await engine.process(events: [[1, 2], Self.events[0], "text"])
        #expect(records.map(\.line) == [1, 2, 3])
        #expect(records[0].outcome == .rejected(reason: "an event must be a JSON object, got array"))
        #expect(records[0].mapping.isEmpty)
        #expect(records[1].outcome == .sent)
        #expect(records[2].outcome == .rejected(reason: "an event must be a JSON object, got string"))
    }

    @Test(arguments: [
        (EventNeeds.nothing, EventNeeds.paths(["a"]), EventNeeds.paths(["a"])),
        (.paths(["a"]), .paths(["b", "a"]), .paths(["a", "b"])),
        (.paths(["a"]), .everything, .everything),
        (.nothing, .nothing, .nothing),
    ])
    func eventNeedsCombine(a: EventNeeds, b: EventNeeds, union: EventNeeds) {
        #expect(a.union(b) == union)
    }

    @Test func anUnknownStageInThePipelineIsAConfigurationError() {
        var settings = Self.settings
        settings.pipeline = PipelineDefinition(stages: ["consent", "acme.missing", "send"])
        #expect {
            try TikTokDestination.engine(settings: settings, sink: DryRunSink())
        } throws: { error in
            "\(error)".contains("no stage named 'acme.missing'")
        }
    }

    @Test func shippedPresetsDisabledUnlessAskedFor() throws {
        let engine = try TikTokDestination.engine(settings: Self.settings, sink: DryRunSink())
        #expect(Set(engine.enabledMappings.map(\.name)) == ["Complete Payment", "Contact", "Subscribe", "Submit Form"])
        let all = try TikTokDestination.engine(settings: Self.settings, enableAll: true, sink: DryRunSink())
        #expect(all.enabledMappings.count == 15)
    }

    @Test func moreThanFiftyMappingsIsALoadError() throws {
        let one = try #require(try ShippedPresets.source.load().first)
        let files = (1...51).map { i -> MappingFile in
            var file = one
            file.name = "Mapping \(i)"
            return file
        }
        #expect {
            try Engine(mappings: files, actions: Harness.actions, pipeline: Harness().pipeline)
        } throws: { error in
            "\(error)".contains("at most 50")
        }
    }
}
