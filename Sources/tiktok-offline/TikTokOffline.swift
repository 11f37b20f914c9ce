import ArgumentParser
import MappingKit

@main
struct TikTokOfflineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiktok-offline",
        abstract: "Maps customer events to TikTok offline conversions and delivers them."
    )
}
