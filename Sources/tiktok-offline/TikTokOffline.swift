import ArgumentParser
import MappingKit

@main
struct TikTokOfflineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiktok-offline",
        abstract: "Maps customer events to TikTok offline conversions and delivers them.",
        subcommands: [
            RunCommand.self,
            CheckAuthCommand.self,
            DeadLettersCommand.self,
            MockTikTokCommand.self,
        ]
    )
}
