import ArgumentParser

@main
struct TikTokOffline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiktok-offline",
        abstract: "Maps customer events to TikTok offline conversions and delivers them.",
        subcommands: [
            MapCommand.self,
            MatchCommand.self,
            LintCommand.self,
            TestCommand.self,
            DryRunCommand.self,
            RunCommand.self,
            CheckAuthCommand.self,
            DeadLettersCommand.self,
            OutboxCommand.self,
            MockTikTokCommand.self,
            PresetsCommand.self,
            BenchCommand.self,
        ]
    )
}
