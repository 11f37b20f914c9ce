import ConversionEngine
import MappingKit

/// The mappings and action schemas compiled into the binary from the package's `mappings/`
/// folder (by the `EmbedPresets` build plugin): the 15 presets named as Segment names them.
public enum ShippedPresets {
    /// Each preset file: its file name and YAML text.
    public static var files: [(name: String, contents: String)] { EmbeddedMappings.presets }

    /// Each action schema file (under `mappings/actions/`): its file name and YAML text.
    public static var actionFiles: [(name: String, contents: String)] { EmbeddedMappings.actions }

    /// The presets as a mapping source for ``ConversionEngine/Engine``.
    public static var source: MappingSource { .embedded(files) }

    /// The TikTok actions (`reportOfflineEvent` and its two deprecated twins) with their fields.
    public static func actions() throws(ActionSchemaError) -> ActionCatalog {
        var catalog = ActionCatalog()
        for file in actionFiles {
            catalog.add(try ActionSchema(yaml: file.contents, file: "mappings/tiktok-offline/actions/\(file.name)"))
        }
        return catalog
    }
}
