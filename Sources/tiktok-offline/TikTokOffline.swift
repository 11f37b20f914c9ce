import ArgumentParser
import Foundation

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
            ServeCommand.self,
            DeliverCommand.self,
            CheckAuthCommand.self,
            DeadLettersCommand.self,
            OutboxCommand.self,
            MockTikTokCommand.self,
            PresetsCommand.self,
            BenchCommand.self,
        ]
    )

    /// Runs the chosen command; a ``CommandError`` is printed as worded (see its `printed`),
    /// anything else as ArgumentParser prints it.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CommandError {
            Terminal.error(error.printed)
            Foundation.exit(ExitCode.failure.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
