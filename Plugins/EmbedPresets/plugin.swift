import Foundation
import PackagePlugin

/// Compiles the package's `mappings/` folder into the target as Swift string literals, so
/// the binary carries its presets wherever it is copied.
@main
struct EmbedPresets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let tool = try context.tool(named: "embed-presets")
        let mappings = context.package.directoryURL.appending(path: "mappings")
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

    static func yamlFiles(in folder: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path(percentEncoded: false))) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { folder.appending(path: $0) }
    }
}
