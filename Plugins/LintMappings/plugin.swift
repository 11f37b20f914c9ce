import Foundation
import PackagePlugin

/// `swift package lint-mappings [FILES...]`: runs `tiktok-offline lint` over the package's
/// presets (every destination's folder `mappings/<destination>/`; the action schemas under its
/// `actions/` are not mapping files, and `lint` skips them) or over the files given, and fails
/// when any has an error.
@main
struct LintMappings: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let tool = try context.tool(named: "tiktok-offline")
        var files = arguments
        if files.isEmpty {
            let folder = context.package.directoryURL.appending(path: "mappings")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path(percentEncoded: false))
            files = names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appending(path: $0).path(percentEncoded: false) }
        }
        let process = Process()
        process.executableURL = tool.url
        process.arguments = ["lint"] + files
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            Diagnostics.error("lint-mappings: the mappings have errors (exit \(process.terminationStatus))")
        }
    }
}
