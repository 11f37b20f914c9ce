import ArgumentParser
import MappingKit

@main
struct TikTokOfflineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiktok-offline",
        abstract: "Maps customer events to TikTok offline conversions and delivers them.",
        subcommands: [DryRunCommand.self, PresetsCommand.self, BenchCommand.self]
    )
}
