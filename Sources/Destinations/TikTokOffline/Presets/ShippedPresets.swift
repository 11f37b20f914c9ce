import ConversionEngine
import MappingKit

/// The mappings and action schemas compiled into the binary from the package's
/// `mappings/tiktok-offline/` folder (by the `EmbedPresets` build plugin): the 15 presets named
/// as Segment names them.
public enum ShippedPresets {
    static let folder = EmbeddedMappingFolder(
        folder: "mappings/tiktok-offline", presets: EmbeddedMappings.presets, actionFiles: EmbeddedMappings.actions)

    /// Each preset file: its file name and YAML text.
    public static var files: [(name: String, contents: String)] { folder.presets }

    /// Each action schema file (under `mappings/tiktok-offline/actions/`): its file name and YAML text.
    public static var actionFiles: [(name: String, contents: String)] { folder.actionFiles }

    /// The presets as a mapping source for ``ConversionEngine/Engine``.
    public static var source: MappingSource { folder.source }

    /// The TikTok actions (`reportOfflineEvent` and its two deprecated twins) with their fields.
    public static func actions() throws(ActionSchemaError) -> ActionCatalog { try folder.actions() }
}
