import ConversionEngine
import Foundation
import MappingKit
import TikTokEventsAPI

/// Writes each pending record's `data` element (``WebEventElement``) into ``Record/output`` and
/// hands the batch to a swappable ``EventSink``, with ``WebEventAddressing`` to say where each
/// record goes. For a sink that ``EventSink/needsEventIDs``, a record without an `event_id`
/// first gets a random one.
public struct WebEventSendStage: Stage {
    public let sink: any EventSink
    let addressing: WebEventAddressing

    public init(settings: TikTokConversionsSettings, sink: any EventSink) {
        self.sink = sink
        self.addressing = WebEventAddressing(settings: settings)
    }

    /// Works on fields and output only; so must its sink.
    public var eventNeeds: EventNeeds { .nothing }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        let needsEventIDs = sink.needsEventIDs
        batch.forEachUnprepared { record in
            if needsEventIDs && !(record.fields["event_id"]?.isTruthy ?? false) {
                record.fields["event_id"] = .string(UUID().uuidString.lowercased())
            }
            var element: [UInt8] = []
            WebEventElement.write(record.fields, now: context.now, into: &element)
            record.output = element
        }
        try await sink.deliver(&batch, addressing: addressing, context: context)
    }
}

/// The destination's built-in stages, registered under their plain names.
public enum WebEventStages {
    /// The stages a web event runs when the settings name no pipeline.
    public static let pipeline = PipelineDefinition(stages: ["normalize", "hash", "validate", "send"])

    /// A registry holding `normalize`, `hash`, `validate` and `send` (into `sink`).
    public static func registry(settings: TikTokConversionsSettings, actions: ActionCatalog, sink: any EventSink) -> StageRegistry {
        var registry = StageRegistry()
        let builtIns: [(String, any Stage)] = [
            ("normalize", NormalizeStage(actions: actions, defaultCountryCode: settings.defaultCountryCode)),
            ("hash", HashStage(actions: actions)),
            ("validate", WebEventValidateStage()),
            ("send", WebEventSendStage(settings: settings, sink: sink)),
        ]
        for (name, stage) in builtIns {
            try! registry.registerBuiltIn(stage, as: name)
        }
        return registry
    }
}
