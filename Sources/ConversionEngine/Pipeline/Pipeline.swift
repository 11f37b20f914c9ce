import Logging

/// Named stages run in order over each batch.
///
/// ```
///  batch ──▶ consent ──▶ normalize ──▶ hash ──▶ validate ──▶ send ──▶ outcomes
///              │            │           │          │          │
///              └─ skip ─────┴─ reject ──┴──────────┴──────────┴──▶ settled records ride along
/// ```
///
/// Records settled by one stage travel on untouched, so the batch that comes out holds
/// every record with its outcome. A stage that throws stops the run for that batch.
public struct Pipeline: Sendable {
    /// One resolved step.
    public struct Step: Sendable {
        public let name: String
        public let stage: any Stage
    }

    public let steps: [Step]

    /// Resolves each name of `definition` in `registry`.
    public init(_ definition: PipelineDefinition, registry: StageRegistry) throws(PipelineError) {
        var seen = Set<String>()
        var steps: [Step] = []
        for name in definition.stages {
            guard seen.insert(name).inserted else { throw .repeatedStage(name) }
            guard let stage = registry[name] else { throw .unknownStage(name, known: registry.names) }
            steps.append(Step(name: name, stage: stage))
        }
        self.steps = steps
    }

    public var stageNames: [String] { steps.map(\.name) }

    /// What the stages together read of each record's event.
    public var eventNeeds: EventNeeds {
        steps.reduce(EventNeeds.nothing) { $0.union($1.stage.eventNeeds) }
    }

    /// Runs every stage over `batch`. `observe`, if given, sees the batch after each stage
    /// (tracing, metrics); `turn` is the batch's place in the input (``StageContext/turn``).
    public func run(
        _ batch: inout Batch,
        now: Int64,
        logger: Logger,
        observe: ((_ stage: String, _ batch: Batch) -> Void)? = nil,
        turn: InputOrder.Turn? = nil
    ) async throws {
        for step in steps {
            let context = StageContext(stageName: step.name, now: now, logger: logger, turn: turn)
            try await step.stage.process(&batch, context: context)
            observe?(step.name, batch)
        }
    }
}
