import ArgumentParser
import ConversionEngine
import Foundation
import MappingKit
import TikTokOffline

/// `tiktok-offline presets`: the mappings shipped in the binary.
struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "Lists the shipped mappings with their trigger and whether they are enabled."
    )

    func run() throws {
        let files: [MappingFile]
        do {
            files = try ShippedPresets.source.load()
        } catch {
            throw CommandError("\(error)")
        }
        let width = files.map(\.name.count).max() ?? 0
        for file in files {
            let name = file.name.padding(toLength: width, withPad: " ", startingAt: 0)
            print("\(file.enabled ? "enabled " : "disabled")  \(name)  \(file.trigger.source)")
        }
    }
}
