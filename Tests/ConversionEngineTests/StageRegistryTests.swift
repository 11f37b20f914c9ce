import Logging
import MappingKit
import Testing

@testable import ConversionEngine

private struct Tag: Stage {
    let text: String
    func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { $0.warnings.append("\(context.stageName):\(text)") }
    }
}

private struct RejectAll: Stage {
    func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { $0.reject("no") }
    }
}

private struct Explode: Stage {
    struct Failure: Error {}
    func process(_ batch: inout Batch, context: StageContext) async throws { throw Failure() }
}

@Suite struct StageRegistryTests {
    @Test(arguments: ["acme.geo-enrich", "a.b", "acme.geo_enrich.v2"])
    func acceptsNamespacedCustomNames(name: String) throws {
        var registry = StageRegistry()
        try registry.register(Tag(text: ""), as: name)
        #expect(registry.names == [name])
    }

    @Test(arguments: ["normalize", "Acme.geo", "acme.", ".geo", "acme geo.x", ""])
    func refusesPlainOrMalformedCustomNames(name: String) {
        var registry = StageRegistry()
        #expect(throws: StageRegistryError.self) { try registry.register(Tag(text: ""), as: name) }
    }

    @Test func refusesDuplicates() throws {
        var registry = StageRegistry()
        try registry.registerBuiltIn(Tag(text: ""), as: "hash")
        try registry.register(Tag(text: ""), as: "acme.x")
        #expect(throws: StageRegistryError.duplicate("hash")) { try registry.registerBuiltIn(Tag(text: ""), as: "hash") }
        #expect(throws: StageRegistryError.duplicate("acme.x")) { try registry.register(Tag(text: ""), as: "acme.x") }
    }
}

@Suite struct PipelineTests {
    func registry() throws -> StageRegistry {
        var registry = StageRegistry()
        try registry.registerBuiltIn(Tag(text: "1"), as: "first")
        try registry.registerBuiltIn(Tag(text: "2"), as: "second")
        try registry.registerBuiltIn(RejectAll(), as: "reject")
        try registry.register(Tag(text: "c"), as: "acme.custom")
        try registry.register(Explode(), as: "acme.explode")
        return registry
    }

    func batch() -> Batch {
        Batch(records: (1...3).map { Record(line: $0, mapping: "m", action: "a", event: [:], fields: [:]) })
    }

    @Test func runsStagesInOrderWithTheirNames() async throws {
        var definition = PipelineDefinition(stages: ["first", "second"])
        try definition.insert("acme.custom", before: "second")
        let pipeline = try Pipeline(definition, registry: try registry())
        var batch = batch()
        var seen: [String] = []
        try await pipeline.run(&batch, now: 0, logger: Logger(label: "t")) { stage, _ in seen.append(stage) }
        #expect(seen == ["first", "acme.custom", "second"])
        #expect(batch.records.allSatisfy { $0.warnings == ["first:1", "acme.custom:c", "second:2"] })
    }

    @Test func settledRecordsRideAlongUntouched() async throws {
        let pipeline = try Pipeline(PipelineDefinition(stages: ["first", "reject", "second"]), registry: try registry())
        var batch = batch()
        try await pipeline.run(&batch, now: 0, logger: Logger(label: "t"))
        #expect(batch.records.allSatisfy { $0.outcome == .rejected(reason: "no") && $0.warnings == ["first:1"] })
    }

    @Test func aThrowingStageStopsTheBatch() async throws {
        let pipeline = try Pipeline(PipelineDefinition(stages: ["acme.explode", "first"]), registry: try registry())
        var batch = batch()
        await #expect(throws: Explode.Failure.self) { try await pipeline.run(&batch, now: 0, logger: Logger(label: "t")) }
        #expect(batch.records.allSatisfy { $0.isPending && $0.warnings.isEmpty })
    }

    @Test(arguments: [
        (["first", "missing"], "no stage named 'missing'"),
        (["first", "first"], "appears more than once"),
    ])
    func refusesBadDefinitions(stages: [String], message: String) throws {
        let registry = try registry()
        #expect {
            try Pipeline(PipelineDefinition(stages: stages), registry: registry)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func readsDefinitionsFromJSON() throws {
        #expect(try PipelineDefinition(json: ["pipeline": ["consent", "send"]]).stages == ["consent", "send"])
        #expect(throws: PipelineError.self) { try PipelineDefinition(json: ["pipeline": []]) }
        #expect(throws: PipelineError.self) { try PipelineDefinition(json: ["pipeline": [1]]) }
        #expect(PipelineDefinition.default.stages == ["consent", "normalize", "hash", "validate", "send"])
    }
}
