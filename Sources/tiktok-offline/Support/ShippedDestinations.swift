import ConversionEngine
import MappingKit
import TikTokConversions
import TikTokOffline

/// The destinations this tool ships: the one file of the tool that names them. Commands find
/// a destination here by name or by the action a mapping file names, and import none.
enum ShippedDestinations {
    /// Each shipped destination, without credentials: enough to check, test and preview mappings.
    static let all: [any Destination] = [
        TikTokOfflineDestination(settings: TikTokSettings()),
        TikTokConversionsDestination(settings: TikTokConversionsSettings()),
    ]

    /// The destination used when a file or a command names none.
    static var `default`: any Destination { all[0] }

    /// The destination named `name` (`tiktok-offline`, `tiktok-conversions`).
    static func named(_ name: String) -> (any Destination)? { all.first { $0.name == name } }

    /// The destination whose actions include the one `file` names (the default when none does,
    /// so that its lint names the unknown action).
    static func destination(for file: MappingFile) -> any Destination {
        all.first { (try? $0.actions().names.contains(file.action)) ?? false } ?? self.default
    }
}
