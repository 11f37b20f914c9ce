import TikTokEventsAPI
import ConversionEngine

/// The destination's built-in stages, registered under their plain names.
public enum TikTokStages {
    /// A registry holding `consent`, `normalize`, `hash`, `validate` and `send` (into `sink`).
    /// Add your own stages to it before building the pipeline.
    public static func registry(settings: TikTokSettings, actions: ActionCatalog, sink: any EventSink) -> StageRegistry {
        var registry = StageRegistry()
        let builtIns: [(String, any Stage)] = [
            ("consent", ConsentStage(category: settings.consentCategory, requireConsent: settings.requireConsent)),
            ("normalize", NormalizeStage(actions: actions, defaultCountryCode: settings.defaultCountryCode)),
            ("hash", HashStage(actions: actions)),
            ("validate", ValidateStage(actions: actions, settings: settings)),
            ("send", SendStage(builder: TikTokRequestBuilder(settings: settings), sink: sink)),
        ]
        for (name, stage) in builtIns {
            try! registry.registerBuiltIn(stage, as: name)
        }
        return registry
    }
}
