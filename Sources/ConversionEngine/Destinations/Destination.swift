import Delivery
import Logging
import MappingKit

/// A place the engine sends prepared records: everything the engine, `dry-run`, `run`,
/// `serve` and `deliver` need to know of it, and nothing they know of it otherwise.
///
/// A value of a conforming type is one configured destination (its settings, credentials
/// and ids already read and checked). It supplies:
///
/// - its ``name`` (`tiktok-offline`): how settings files, `--destination` and reports name it;
/// - its actions (``actions()``: field schemas and defaults) and shipped mappings (``presets``);
/// - its built-in stages and default pipeline (``stages(actions:sink:)``,
///   ``defaultPipeline``), and optionally a planner that fuses a mapping with them
///   (``planner``);
/// - how a prepared record is addressed and stored (``addressing``: queue and key; its
///   ``Record/output`` is the stored message), and whether a queue is its own (``owns(queue:)``);
/// - its transport for delivery (``transport()``), its preview for dry runs and traces
///   (``writePreview(of:into:)``), its lint rules (``lint(_:)``).
///
/// Implementation checklist (the `DestinationContract` checks of the `DestinationTesting`
/// library test each; run them on yours):
/// - ``name`` is lowercase letters, digits and `-`, and stable: outboxes keep its queues.
/// - Every preset compiles against ``actions()`` and passes its own `tests:`.
/// - The registry from ``stages(actions:sink:)`` holds every stage of ``defaultPipeline``,
///   and its `send` stage hands the batch to `sink` with ``addressing``; it gives records an
///   id when the sink ``EventSink/needsEventIDs``.
/// - ``addressing`` puts every prepared record that has an id in a queue ``owns(queue:)``
///   accepts, under a key that is the same for the same event.
/// - A ``planner``'s plans leave every record exactly as the stages would.
/// - Nothing it logs, throws or describes holds a secret or a raw identifier.
public protocol Destination: Sendable {
    /// Lowercase letters, digits and `-` (`tiktok-offline`).
    var name: String { get }

    /// The actions mapping files may name, with their field schemas and defaults.
    func actions() throws(EngineError) -> ActionCatalog

    /// The mappings this destination ships; ``Destination/engine(mappings:enableAll:fused:sink:logger:customize:)``
    /// runs them unless given others.
    var presets: MappingSource { get }

    /// Its built-in stages, registered under their plain names; `send` hands prepared records
    /// to `sink`. Callers add their own stages to the registry before building the pipeline.
    func stages(actions: ActionCatalog, sink: any EventSink) -> StageRegistry

    /// The stages a mapping runs when the settings name no pipeline.
    var defaultPipeline: PipelineDefinition { get }

    /// Fuses mappings with the built-in pipeline (``FusedPlanning``); nil when it cannot.
    var planner: (any FusedPlanning)? { get }

    /// Where its prepared records are stored, and under which keys.
    var addressing: any RecordAddressing { get }

    /// Whether `queue` (an outbox destination) holds this destination's records.
    func owns(queue: String) -> Bool

    /// Sends its queues' stored records; nil when it cannot deliver (no credentials: dry runs only).
    func transport() -> (any BatchTransport)?

    /// Appends what a dry run shows for one record it sent: the request body that would carry
    /// that record alone, as JSON.
    func writePreview(of record: borrowing Record, into out: inout [UInt8])

    /// What `lint` adds to MappingKit's checks of a file naming one of its actions.
    func lint(_ file: MappingFile) -> [Diagnostic]
}

extension Destination {
    public var defaultPipeline: PipelineDefinition { .default }
    public var planner: (any FusedPlanning)? { nil }
    public func transport() -> (any BatchTransport)? { nil }
    public func lint(_ file: MappingFile) -> [Diagnostic] { [] }

    /// The mapping that runs for `file` with this destination's actions (its own mapping over
    /// the action's defaults when it says `defaults: true`): what the file's `tests:` check.
    public func effectiveMapping(for file: MappingFile) throws -> Mapping {
        try Engine.compile(file, actions: try actions()).mapping
    }

    /// Builds an engine for this destination: `mappings` (default: ``presets``; `enableAll`
    /// also runs those written `enabled: false`) compiled against ``actions()``, run by
    /// `pipeline` (default: ``defaultPipeline``) over ``stages(actions:sink:)``, which
    /// `customize` may add stages to and edit. With `fused` (the default) and a ``planner``,
    /// mappings the planner can fuse take the one-pass path: same output, faster.
    public func engine(
        mappings: MappingSource? = nil,
        pipeline: PipelineDefinition? = nil,
        enableAll: Bool = false,
        fused: Bool = true,
        sink: any EventSink,
        logger: Logger? = nil,
        customize: (inout StageRegistry, inout PipelineDefinition) throws -> Void = { _, _ in }
    ) throws -> Engine {
        let actions = try actions()
        var registry = stages(actions: actions, sink: sink)
        var definition = pipeline ?? defaultPipeline
        try customize(&registry, &definition)
        let built = try Pipeline(definition, registry: registry)
        return try Engine(
            mappings: try (mappings ?? presets).load(), actions: actions, pipeline: built, enableAll: enableAll,
            planner: fused ? planner : nil, logger: logger ?? Logger(label: name))
    }
}

/// The rule for ``Destination/name``.
public enum DestinationName {
    /// Lowercase ASCII letters, digits and `-`, 1–64 characters, starting with a letter.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7A).contains(first), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }
    }
}
