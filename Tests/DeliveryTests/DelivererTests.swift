@testable import Delivery
import OutboxSQLite
@testable import ConversionEngine
import ProcessTesting
import Foundation
import MappingKit
import TikTokMock
import Testing
@testable import TikTokOffline
import TikTokEventsAPI

@Suite("Deliverer against the stand-in")
struct DelivererTests {
    static let route = TikTokRoute(eventSetID: "set-1", accessToken: "test-token")
    static let quickRetries = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(2), maxDelay: .milliseconds(50), maxElapsed: .seconds(30))

    private func withOutbox<T>(_ body: (Outbox) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        return try await body(try Outbox(path: directory.file("outbox.sqlite"), configuration: .init(synchronousCommits: false)))
    }

    private func deliverer(
        _ outbox: Outbox, _ transport: some BatchTransport, batch: Int = 1_000, concurrency: Int = 4,
        retry: RetryPolicy = quickRetries, linger: Duration = .milliseconds(50)
    ) -> Deliverer {
        Deliverer(
            outbox: outbox, transport: transport, destinations: [Self.route.outboxDestination],
            configuration: .init(batch: .init(maxCount: batch), concurrency: concurrency, retry: retry, linger: linger)
        )
    }

    @Test func deliversEveryEventExactlyOnceThroughFaults() async throws {
        try await withOutbox { outbox throws in
            try await withMockTikTok(.init(failRate: 0.2, rateLimitEvery: 7)) { mock, endpoint throws in
                try await outbox.enqueue(TestEvents.messages(0..<5_000), destination: Self.route.outboxDestination)
                let client = TikTokEventsClient(endpoint: endpoint, routes: [Self.route])
                let deliverer = deliverer(outbox, client, batch: 250)
                deliverer.finishInput()
                let report = await deliverer.run()
                #expect(report.failure == nil)
                #expect(report.sent == 5_000)
                #expect(report.retried > 0 && report.retried % 250 == 0)
                #expect(mock.stats.uniqueEvents == 5_000)
                #expect(mock.stats.eventsReceived == 5_000, "nothing confirmed was sent twice")
                #expect(report.requests == mock.stats.requests)
                #expect(try await outbox.counts() == OutboxCounts(pending: 0, leased: 0, deadLetters: 0))
            }
        }
    }

    @Test func deliversEventsEnqueuedWhileRunningInFullBatches() async throws {
        try await withOutbox { outbox throws in
            try await withMockTikTok { mock, endpoint throws in
                // A linger longer than the test: only full batches leave before the input ends.
                let deliverer = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [Self.route]), linger: .seconds(60))
                async let report = deliverer.run()
                for chunk in stride(from: 0, to: 10_000, by: 250) {
                    try await outbox.enqueue(TestEvents.messages(chunk..<chunk + 250), destination: Self.route.outboxDestination)
                }
                deliverer.finishInput()
                let final = await report
                #expect(final.sent == 10_000 && mock.stats.uniqueEvents == 10_000, "\(final)")
                #expect(final.requests == 10, "batches fill up while input arrives: \(final)")
            }
        }
    }

    @Test func oneBadRowIsDeadLetteredWithTikTokMessageAndTheRestDelivered() async throws {
        try await withOutbox { outbox throws in
            try await withMockTikTok { mock, endpoint throws in
                var messages = TestEvents.messages(0..<1_000)
                messages[137] = OutboxMessage(tiktokEvent: TestEvents.badElement(137))
                try await outbox.enqueue(messages, destination: Self.route.outboxDestination)
                let deliverer = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [Self.route]))
                deliverer.finishInput()
                let report = await deliverer.run()
                #expect(report.sent == 999 && report.deadLettered == 1)
                #expect(mock.stats.uniqueEvents == 999)
                let letters = try await outbox.deadLetters()
                #expect(letters.map(\.key) == [messages[137].key])
                #expect(letters.first?.reason.hasPrefix("TikTok 40002: Invalid parameter: data[") == true)
                #expect(letters.first?.reason.contains("user.email[0]") == true)
            }
        }
    }

    /// Without a row named in TikTok's message the deliverer bisects.
    struct Anonymized: BatchTransport {
        let base: TikTokEventsClient
        func send(_ entries: ArraySlice<OutboxEntry>, destination: String) async -> TransportOutcome {
            if case .refused(let reason, _) = await base.send(entries, destination: destination) { return .refused(reason: reason, suspect: nil) }
            return await base.send(entries, destination: destination)
        }
    }

    @Test func bisectionIsolatesBadRowsWhenTikTokDoesNotNameThem() async throws {
        try await withOutbox { outbox throws in
            try await withMockTikTok { mock, endpoint throws in
                let bad: Set = [3, 500, 999]
                let messages = (0..<1_000).map { OutboxMessage(tiktokEvent: bad.contains($0) ? TestEvents.badElement($0) : TestEvents.element($0)) }
                try await outbox.enqueue(messages, destination: Self.route.outboxDestination)
                let deliverer = deliverer(outbox, Anonymized(base: TikTokEventsClient(endpoint: endpoint, routes: [Self.route])))
                deliverer.finishInput()
                let report = await deliverer.run()
                #expect(report.sent == 997 && report.deadLettered == 3)
                #expect(Set(try await outbox.deadLetters().map(\.key)) == Set(bad.map { messages[$0].key }))
                #expect(mock.stats.uniqueEvents == 997)
                #expect(report.requests < 70, "bisection, not one request per row (\(report.requests))")
            }
        }
    }

    @Test func aBadTokenStopsDeliveryAndKeepsEveryEvent() async throws {
        try await withOutbox { outbox throws in
            try await outbox.enqueue(TestEvents.messages(0..<3_000), destination: Self.route.outboxDestination)
            try await withMockTikTok(.init(badToken: true)) { mock, endpoint throws in
                let deliverer = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [Self.route]))
                deliverer.finishInput()
                let report = await deliverer.run()
                guard case .unauthorized(let reason)? = report.failure else {
                    Issue.record("expected an authentication failure, got \(String(describing: report.failure))")
                    return
                }
                #expect(reason.contains("40001"))
                #expect(!reason.contains("test-token"), "the token is never shown")
                #expect(report.sent == 0 && report.deadLettered == 0 && mock.stats.uniqueEvents == 0)
            }
            #expect(try await outbox.counts() == OutboxCounts(pending: 3_000, leased: 0, deadLetters: 0))
        }
    }

    @Test func aRefusedEnvelopeStopsDeliveryInsteadOfDeadLetteringEveryRow() async throws {
        try await withOutbox { outbox throws in
            let unknownSet = TikTokRoute(eventSetID: "", accessToken: "test-token")
            try await outbox.enqueue(TestEvents.messages(0..<500), destination: unknownSet.outboxDestination)
            try await withMockTikTok { mock, endpoint throws in
                let deliverer = Deliverer(
                    outbox: outbox, transport: TikTokEventsClient(endpoint: endpoint, routes: [unknownSet]),
                    destinations: [unknownSet.outboxDestination]
                )
                deliverer.finishInput()
                let report = await deliverer.run()
                guard case .misconfigured(let reason)? = report.failure else {
                    Issue.record("expected the configuration to be refused, got \(String(describing: report.failure))")
                    return
                }
                #expect(reason.contains("event_source_id"))
                #expect(report.deadLettered == 0 && mock.stats.requests <= 4)
            }
            #expect(try await outbox.counts() == OutboxCounts(pending: 500, leased: 0, deadLetters: 0))
        }
    }

    @Test func aTokenRevokedMidwayLeavesTheRestForALaterRunWithAGoodToken() async throws {
        try await withOutbox { outbox throws in
            try await outbox.enqueue(TestEvents.messages(0..<4_000), destination: Self.route.outboxDestination)
            try await withMockTikTok(.init(latency: .milliseconds(20))) { mock, endpoint throws in
                let first = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [Self.route]), batch: 100, concurrency: 2)
                first.finishInput()
                async let firstReport = first.run()
                try await waitUntil { mock.stats.uniqueEvents >= 500 }
                mock.revoke(token: Self.route.accessToken)
                let report = await firstReport
                guard case .unauthorized(let reason)? = report.failure else {
                    Issue.record("expected an authentication failure, got \(String(describing: report.failure))")
                    return
                }
                #expect(reason.contains("40105"))
                #expect(report.sent >= 500 && report.sent < 4_000)
                #expect(try await outbox.counts() == OutboxCounts(pending: 4_000 - report.sent, leased: 0, deadLetters: 0))

                let renewed = TikTokRoute(eventSetID: Self.route.eventSetID, accessToken: "renewed-token")
                let second = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [renewed]))
                second.finishInput()
                let secondReport = await second.run()
                #expect(secondReport.failure == nil)
                #expect(report.sent + secondReport.sent == 4_000)
                #expect(mock.stats.uniqueEvents == 4_000)
            }
        }
    }

    @Test func aRateLimitWithRetryAfterHoldsEveryWorkerBack() async throws {
        try await withOutbox { outbox throws in
            try await outbox.enqueue(TestEvents.messages(0..<400), destination: Self.route.outboxDestination)
            try await withMockTikTok(.init(rateLimitEvery: 2, retryAfterSeconds: 1)) { mock, endpoint throws in
                let deliverer = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [Self.route]), batch: 100, concurrency: 2)
                deliverer.finishInput()
                let start = ContinuousClock.now
                let report = await deliverer.run()
                #expect(report.sent == 400 && report.retried > 0)
                #expect(ContinuousClock.now - start >= .seconds(1), "Retry-After: 1 was honoured")
                #expect(mock.stats.uniqueEvents == 400)
            }
        }
    }

    @Test func persistentFailuresGiveUpButKeepTheEvents() async throws {
        try await withOutbox { outbox throws in
            try await outbox.enqueue(TestEvents.messages(0..<50), destination: Self.route.outboxDestination)
            try await withMockTikTok(.init(failRate: 1)) { mock, endpoint throws in
                let policy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5))
                let deliverer = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [Self.route]), concurrency: 1, retry: policy)
                deliverer.finishInput()
                let report = await deliverer.run()
                guard case .unavailable(let reason)? = report.failure else {
                    Issue.record("expected the destination to be unavailable, got \(String(describing: report.failure))")
                    return
                }
                #expect(reason.contains("3 attempts"))
                #expect(mock.stats.requests == 3)
            }
            #expect(try await outbox.counts().pending == 50)
            #expect(try await outbox.pending(limit: 1).first?.attempts == 3)
        }
    }

    @Test func stopHandsUnsentEventsBack() async throws {
        try await withOutbox { outbox throws in
            try await outbox.enqueue(TestEvents.messages(0..<2_000), destination: Self.route.outboxDestination)
            try await withMockTikTok(.init(latency: .milliseconds(30))) { mock, endpoint throws in
                let deliverer = deliverer(outbox, TikTokEventsClient(endpoint: endpoint, routes: [Self.route]), batch: 100, concurrency: 2)
                async let report = deliverer.run()
                try await waitUntil { mock.stats.requests >= 2 }
                deliverer.stop()
                let final = await report
                #expect(final.failure == nil)
                #expect(final.sent < 2_000)
                #expect(try await outbox.counts() == OutboxCounts(pending: 2_000 - final.sent, leased: 0, deadLetters: 0))
            }
        }
    }

    @Test func onlyOneDelivererRunsPerOutboxFile() async throws {
        try await withOutbox { outbox throws in
            try await outbox.enqueue(TestEvents.messages(0..<300), destination: Self.route.outboxDestination)
            try await withMockTikTok(.init(latency: .milliseconds(50))) { mock, endpoint throws in
                let client = TikTokEventsClient(endpoint: endpoint, routes: [Self.route])
                let first = deliverer(outbox, client, batch: 100, concurrency: 1)
                first.finishInput()
                async let firstReport = first.run()
                try await waitUntil { mock.stats.requests >= 1 }
                let second = deliverer(try Outbox(path: outbox.path), client)
                second.finishInput()
                guard case .busy(let reason)? = await second.run().failure else {
                    Issue.record("a second deliverer on the same file must refuse to run")
                    return
                }
                #expect(reason.contains("another process"))
                #expect(await firstReport.sent == 300)
                #expect(mock.stats.eventsReceived == 300, "nothing was sent twice")
            }
        }
    }

    @Test(arguments: [(10, nil, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]), (10, 3, [[3], [0, 1, 2], [4, 5, 6, 7, 8, 9]]), (3, 0, [[0], [1, 2]]), (3, 2, [[2], [0, 1]]), (4, 9, [[0, 1], [2, 3]])] as [(Int, Int?, [[Int64]])])
    func splitsAroundTheSuspectOrInHalves(count: Int, suspect: Int?, expected: [[Int64]]) {
        let entries = (0..<count).map { OutboxEntry(id: Int64($0), key: "\($0)", payload: [], attempts: 0) }
        #expect(Deliverer.split(entries[...], around: suspect).map { $0.map(\.id) } == expected)
    }
}
