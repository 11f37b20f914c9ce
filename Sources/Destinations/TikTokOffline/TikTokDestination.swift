import ConversionEngine
import Logging
import MappingKit
import TikTokEventsAPI

/// The TikTok Offline Conversions destination, assembled: the actions' schemas, the
/// built-in stages, your own stages, and the mappings, compiled into an ``Engine``
/// (``TikTokOfflineDestination`` is the destination itself; this is its shorthand).
///
/// ```swift
/// let engine = try TikTokDestination.engine(settings: settings, sink: DryRunSink()) { registry, pipeline in
///     try registry.register(GeoEnrich(), as: "acme.geo-enrich")
///     try pipeline.insert("acme.geo-enrich", before: "hash")
/// }
/// ```
public enum TikTokDestination {
    /// Builds an engine. `mappings` defaults to the shipped presets; `enableAll` also runs
    /// the presets shipped disabled. The pipeline is `settings.pipeline` or the default,
    /// then `customize` may register stages and edit it. With `fused` (the default), mappings
    /// run by the built-in pipeline are fused with it (``TikTokFusedPlanner``): same output,
    /// about twice as fast; without, every record takes the stages one by one.
    public static func engine(
        settings: TikTokSettings,
        mappings: MappingSource = ShippedPresets.source,
        enableAll: Bool = false,
        fused: Bool = true,
        sink: any EventSink,
        logger: Logger = Logger(label: "tiktok-offline"),
        customize: (inout StageRegistry, inout PipelineDefinition) throws -> Void = { _, _ in }
    ) throws -> Engine {
        try TikTokOfflineDestination(settings: settings).engine(
            mappings: mappings, enableAll: enableAll, fused: fused, sink: sink, logger: logger, customize: customize)
    }

    /// The mapping that runs for `file` with this destination's actions (its own mapping over
    /// the action's defaults when it says `defaults: true`). Run a file's `tests:` against it:
    /// `file.runTests(with: try TikTokDestination.effectiveMapping(for: file))`.
    public static func effectiveMapping(for file: MappingFile) throws -> Mapping {
        try TikTokOfflineDestination(settings: TikTokSettings()).effectiveMapping(for: file)
    }

    /// What `lint` adds for this destination to MappingKit's checks of a file: the action and
    /// its field names must exist; a `Purchase` event name earns a warning (TikTok treats
    /// it as `CompletePayment`, and so does the validate stage), and so does a mapping that
    /// maps no `timestamp` (the event would be sent at the time of the run, which attributes
    /// an in-store purchase to the wrong moment).
    public static func lint(_ file: MappingFile) -> [Diagnostic] {
        var (effective, diagnostics) = TikTokLint.check(file, effectiveMapping: effectiveMapping(for:))
        if let effective, effective.source["timestamp"] == nil {
            diagnostics.append(Diagnostic(
                .warning,
                "no 'timestamp' is mapped, so the event is sent with the time of the run as its event_time; "
                    + "map the time it happened (timestamp: !path $.timestamp) or set 'defaults: true'",
                file: file.file, at: file.sourceMap.keyMark(at: "/mapping") ?? file.sourceMap.valueMark(at: "/mapping")))
        }
        return diagnostics
    }
}
