import TikTokEventsAPI
import ConversionEngine
import MappingKit

/// Fuses each mapping with the built-in pipeline (see ``TikTokFusedPlan`` and the fused plan's
/// page in docs/architecture.md). A pipeline qualifies when it holds `normalize`, `hash`,
/// `validate` and `send` in that order, and nothing else but `consent`: a custom stage may read
/// or change the fields the plan never builds. The stages' own settings (country code, stale
/// events, the request builder, the sink) come from the pipeline's instances.
public struct TikTokFusedPlanner: FusedPlanning {
    public init() {}

    public func plan(for mapping: Engine.CompiledMapping, pipeline: Pipeline) -> (any FusedPlan)? {
        guard let stages = Stages(pipeline) else { return nil }
        return TikTokFusedPlan(mapping, stages: stages)
    }

    /// The built-in stages of a qualifying pipeline.
    struct Stages {
        let normalize: NormalizeStage
        let validate: ValidateStage
        let send: SendStage

        init?(_ pipeline: Pipeline) {
            var normalize: NormalizeStage?, hash: HashStage?, validate: ValidateStage?, send: SendStage?
            for step in pipeline.steps {
                switch step.stage {
                case is ConsentStage: continue
                case let stage as NormalizeStage where hash == nil && validate == nil && send == nil: normalize = stage
                case let stage as HashStage where normalize != nil && validate == nil && send == nil: hash = stage
                case let stage as ValidateStage where hash != nil && send == nil: validate = stage
                case let stage as SendStage where validate != nil: send = stage
                default: return nil
                }
            }
            guard let normalize, hash != nil, let validate, let send else { return nil }
            self.normalize = normalize
            self.validate = validate
            self.send = send
        }
    }
}
