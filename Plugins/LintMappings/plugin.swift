import Foundation
import PackagePlugin

/// `swift package lint-mappings [FILES...]`: runs `tiktok-offline lint` over the package's
/// `mappings/` folder (or the files given) and fails when a mapping has an error.
@main
struct LintMappings: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let tool = try context.tool(named: "tiktok-offline")
        let targets = arguments.isEmpty
            ? ["--mappings", context.package.directoryURL.appending(path: "mappings").path(percentEncoded: false)]
            : arguments
        let process = Process()
        process.executableURL = tool.url
        process.arguments = ["lint"] + targets
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            Diagnostics.error("lint-mappings: the mappings have errors (exit \(process.terminationStatus))")
        }
    }
}
