import ArgumentParser
import Foundation
import Logging
import TikTokMock

/// `tiktok-offline mock-tiktok`: a local stand-in for TikTok's Events API.
struct MockTikTokCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-tiktok",
        abstract: "Run a local stand-in for TikTok's Events API (no TikTok account needed).",
        discussion: """
            Answers POST /open_api/v1.3/event/track/ like TikTok ({code, message, request_id}), checks \
            tokens, envelopes and hashed identifiers, refuses a whole batch for one bad row, and \
            deduplicates by (event, event_id). Reads test_event_code at the top level of the body, \
            as TikTok does, and refuses it inside a data element. GET /__stats returns \
            {"requests":N,"events_received":N,"unique_events":N,"test_events":N,"rejected_requests":N} \
            (test events are counted apart from unique_events); \
            POST /__revoke revokes the Access-Token it carries. Prints the URL it listens on, then \
            runs until interrupted.
            """
    )

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8787

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Share of event requests answered with HTTP 500, from 0 to 1.")
    var failRate: Double = 0

    @Option(help: "Share of events refused with code 40002 naming their row, from 0 to 1: the same rows (by event_id and --seed) every time, so they become dead letters.")
    var refuseRate: Double = 0

    @Option(help: "Answer every N-th event request with code 40100 (rate limited); 0 disables.")
    var rateLimitEvery: Int = 0

    @Option(help: "Retry-After seconds sent with rate-limit answers (none by default).")
    var retryAfter: Int?

    @Option(help: "Milliseconds to wait before answering each event request.")
    var latencyMs: Int = 0

    @Flag(help: "Refuse every access token with code 40001.")
    var badToken = false

    @Option(help: "Seed for the injected failures.")
    var seed: UInt64 = 0x5EED

    @Option(help: "Seconds after which a connection that sends nothing is closed.")
    var idleTimeout: Int = 30

    func validate() throws {
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be between 0 and 1") }
        guard (0...1).contains(refuseRate) else { throw ValidationError("--refuse-rate must be between 0 and 1") }
        guard rateLimitEvery >= 0, latencyMs >= 0, (0...65_535).contains(port) else {
            throw ValidationError("--rate-limit-every, --latency-ms and --port must not be negative")
        }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "mock-tiktok")
        logger.logLevel = .warning
        let mock = MockTikTok(
            configuration: .init(
                host: host, port: port, failRate: failRate, refuseRate: refuseRate, rateLimitEvery: rateLimitEvery,
                retryAfterSeconds: retryAfter, latency: .milliseconds(latencyMs), badToken: badToken, seed: seed,
                idleTimeout: .seconds(idleTimeout)
            ),
            logger: logger
        )
        let boundPort = try await mock.start()
        // Unbuffered, so a parent process can read the port at once.
        FileHandle.standardOutput.write(Data("mock-tiktok listening on http://\(host):\(boundPort)\n".utf8))
        await TerminationSignals.wait()
        await mock.stop()
        let stats = mock.stats
        print("mock-tiktok stopped: \(stats.requests) requests, \(stats.uniqueEvents) unique events")
    }
}
