import ConversionEngine

/// The mappings and action schema compiled into the binary from `mappings/tiktok-conversions/`
/// (by the `EmbedPresets` build plugin): Segment's 15 TikTok Conversions presets and the action
/// `reportWebEvent`.
public enum ConversionsPresets {
    public static let folder = EmbeddedMappingFolder(
        folder: "mappings/tiktok-conversions", presets: EmbeddedMappings.presets, actionFiles: EmbeddedMappings.actions)
}
