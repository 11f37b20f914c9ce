import Foundation
import PackagePlugin

/// Compiles a destination's folder of the package's `mappings/` (`mappings/<destination>/`: its
/// presets, and its action schemas under `actions/`) into the destination's target as Swift
/// string literals, so the binary carries its presets wherever it is copied.
@main
struct EmbedPresets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let tool = try context.tool(named: "embed-presets")
        guard let destination = Self.destinations[target.name] else {
            throw PluginError("EmbedPresets: no mappings/ folder is known for target \(target.name); add it to EmbedPresets.destinations")
        }
        let mappings = context.package.directoryURL.appending(path: "mappings").appending(path: destination)
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMappings.swift")
        return [
            .buildCommand(
                displayName: "Embedding the shipped presets into \(target.name)",
                executable: tool.url,
                arguments: [mappings.path(percentEncoded: false), output.path(percentEncoded: false)],
                inputFiles: Self.yamlFiles(in: mappings) + Self.yamlFiles(in: mappings.appending(path: "actions")),
                outputFiles: [output]
            )
        ]
    }

    /// The folder under `mappings/` of each destination target, named as the destination is.
    static let destinations = ["TikTokOffline": "tiktok-offline", "TikTokConversions": "tiktok-conversions"]

    static func yamlFiles(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path(percentEncoded: false))) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { folder.appending(path: $0) }
    }
}

struct PluginError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
