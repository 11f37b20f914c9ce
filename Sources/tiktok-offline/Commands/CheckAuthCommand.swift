import ArgumentParser
import Foundation
import TikTokOffline
import TikTokEventsAPI

/// `tiktok-offline check-auth`: asks TikTok whether the token may write to the event set.
struct CheckAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-auth",
        abstract: "Check the access token and event set id against TikTok, as the reference's connection test does.",
        discussion: """
            Sends POST /open_api/v1.3/offline/track/ with {"event_set_id": ID, "event": "Test Event", \
            "timestamp": "", "context": {}} and the Access-Token header. Exit status: 0 accepted, \
            1 refused by TikTok, 2 TikTok could not be reached.
            """
    )

    @OptionGroup var settings: SettingsOptions

    @Option(help: "Events API base URL (e.g. http://127.0.0.1:8787 for mock-tiktok).")
    var endpoint: String = TikTokEndpoint.production.baseURL

    @Option(help: "Seconds to wait for TikTok's answer.")
    var timeout: Int = 15

    func run() async throws {
        let settings = try settings.resolve(requireAccessToken: true)
        guard let token = settings.accessToken, let eventSetID = settings.eventSetID else {
            throw CommandError("settings: an access token and an event set id are required")
        }
        let client = TikTokEventsClient(endpoint: TikTokEndpoint(baseURL: endpoint), routes: [], timeout: .seconds(timeout))
        let answer = await client.checkConnection(eventSetID: eventSetID, accessToken: token)
        print("Event set \(eventSetID) at \(endpoint): \(answer)")
        switch answer {
        case .valid: return
        case .refused: throw ExitCode(1)
        case .unreachable: throw ExitCode(2)
        }
    }
}
