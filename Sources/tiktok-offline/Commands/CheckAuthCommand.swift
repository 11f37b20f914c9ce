import ArgumentParser
import Foundation
import TikTokOffline

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

    @OptionGroup var credentials: CredentialOptions

    @Option(help: "Events API base URL (e.g. http://127.0.0.1:8787 for mock-tiktok).")
    var endpoint: String = TikTokEndpoint.production.baseURL

    @Option(help: "Seconds to wait for TikTok's answer.")
    var timeout: Int = 15

    func run() async throws {
        let (eventSetID, token) = try credentials.resolve()
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

/// Access token and event set id from flags or the environment; the token is never printed.
struct CredentialOptions: ParsableArguments {
    @Option(help: "TikTok access token (default: $TIKTOK_ACCESS_TOKEN).")
    var accessToken: String?

    @Option(help: "TikTok event set id (default: $TIKTOK_EVENT_SET_ID).")
    var eventSetID: String?

    func resolve() throws -> (eventSetID: String, accessToken: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let token = accessToken ?? environment["TIKTOK_ACCESS_TOKEN"], !token.isEmpty else {
            throw ValidationError("an access token is required: --access-token or TIKTOK_ACCESS_TOKEN")
        }
        guard let eventSetID = eventSetID ?? environment["TIKTOK_EVENT_SET_ID"], !eventSetID.isEmpty else {
            throw ValidationError("an event set id is required: --event-set-id or TIKTOK_EVENT_SET_ID")
        }
        return (eventSetID, token)
    }
}
