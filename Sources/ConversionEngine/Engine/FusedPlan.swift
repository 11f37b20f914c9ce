import JSONKit
import MappingKit

/// A destination's one-pass form of one mapping and the built-in stages that follow it: it
/// reads an event where it lies and writes the record's final ``Record/output`` directly,
/// without building ``Record/fields`` or passing the record through each stage.
///
/// A plan is an optimisation with the general path as its reference: for every event it
/// prepares, the record must end exactly as mapping, schema coercion and the stages it stands
/// in for would leave it. Anything it does not handle (a value to reject, a warning to give,
/// an unusual shape) it hands back to the general path by returning false. An engine uses
/// plans only when nobody reads the records' fields between stages (no tracing).
public protocol FusedPlan: Sendable {
    /// Prepares `record`, fresh from the plan's mapping, from `document` (an object) as of
    /// `now` (seconds since 1970): on success it calls ``Record/markPrepared(output:fields:)``
    /// and returns true; otherwise it returns false and leaves `record` as it was.
    func prepare(_ record: inout Record, from document: JSONDocument, now: Int64) -> Bool
}

/// Makes ``FusedPlan``s: a destination's knowledge of which pipelines and mappings it can fuse.
public protocol FusedPlanning: Sendable {
    /// The plan for `mapping` when run by `pipeline`, or nil when the pipeline holds a stage
    /// the planner does not stand in for (a custom stage) or the mapping cannot be fused.
    func plan(for mapping: Engine.CompiledMapping, pipeline: Pipeline) -> (any FusedPlan)?
}
