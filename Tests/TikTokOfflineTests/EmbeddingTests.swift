import ConversionEngine
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
