import Delivery
import OutboxSQLite
@testable import ConversionEngine
import ProcessTesting
import Foundation
import Logging
import MappingKit
import Synchronization
import Testing
import TikTokMock
@testable import TikTokOffline
import TikTokEventsAPI

/// Fails its first `failures` requests as a network error would, then takes everything.
private final class FlakyTransport: BatchTransport {
    private let remaining: Mutex<Int>
    private let pause: Duration

    init(failures: Int, pause: Duration = .zero) {
        remaining = Mutex(failures)
        self.pause = pause
    }

    func send(_ entries: ArraySlice<OutboxEntry>, destination: String) async -> TransportOutcome {
        if pause > .zero { try? await Task.sleep(for: pause) }
        let fail = remaining.withLock { count -> Bool in
            defer { count -= 1 }
            return count > 0
        }
        return fail ? .retryable(reason: "network: connection refused", retryAfter: nil) : .accepted(receipt: nil)
    }
}

/// How a deliverer starts, stops and reports outages.
@Suite("Deliverer lifecycle", .timeLimit(.minutes(2)))
struct DelivererLifecycleTests {
    static let route = TikTokRoute(eventSetID: "set-1", accessToken: "test-token")

    private func withOutbox<T>(_ body: (Outbox) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let outbox = try Outbox(path: directory.file("outbox.sqlite"), configuration: .init(synchronousCommits: false))
        try await outbox.enqueue(TestEvents.messages(0..<100), destination: Self.route.outboxDestination)
        return try await body(outbox)
    }

    /// Cancelling the task stops delivery at once, even in a long Retry-After wait: no spinning
    /// until the deadline, and no cancellation reported as an outbox failure.
    @Test func cancellationStopsAWaitingDelivererAtOnce() async throws {
        try await withOutbox { outbox in
            try await withMockTikTok(.init(rateLimitEvery: 1, retryAfterSeconds: 20)) { mock, endpoint in
                let deliverer = Deliverer(
                    outbox: outbox, transport: TikTokEventsClient(endpoint: endpoint, routes: [Self.route]),
                    destinations: [Self.route.outboxDestination],
                    configuration: .init(concurrency: 2, retry: RetryPolicy(maxAttempts: 5, maxElapsed: .seconds(120))))
                deliverer.finishInput()
                let running = Task { await deliverer.run() }
                try await waitUntil { mock.stats.requests >= 1 }
                try await Task.sleep(for: .milliseconds(100))
                let cancelledAt = ContinuousClock.now
                running.cancel()
                let report = await running.value
                #expect(ContinuousClock.now - cancelledAt < .seconds(3), "stopped within the wait, not after 20 s")
                #expect(report.failure == nil, "a cancellation is a stop: \(String(describing: report.failure))")
                #expect(try await outbox.counts() == OutboxCounts(pending: 100, leased: 0, deadLetters: 0))
            }
        }
    }

    @Test func aSecondRunOfOneDelivererIsRefusedAndTheFirstGoesOn() async throws {
        try await withOutbox { outbox in
            let deliverer = Deliverer(
                outbox: outbox, transport: FlakyTransport(failures: 0, pause: .milliseconds(200)),
                destinations: [Self.route.outboxDestination], configuration: .init(batch: .init(maxCount: 10), concurrency: 1))
            deliverer.finishInput()
            async let first = deliverer.run()
            try await Task.sleep(for: .milliseconds(50))
            let second = await deliverer.run()
            #expect(second.failure == .alreadyRunning)
            let report = await first
            #expect(report.failure == nil && report.sent == 100)
        }
    }

    /// A warning with the reason at the first failure, one line at most per interval while
    /// failing, and the recovery once; every repeated attempt counts as retried.
    @Test(arguments: [(Duration.seconds(3_600), 0), (.zero, 3)])  // an hour: no "still failing" line however slow the machine
    func outagesAreLoggedOnceThenAtIntervalsThenRecovered(interval: Duration, stillFailingLines: Int) async throws {
        try await withOutbox { outbox in
            let capture = LogCapture()
            let deliverer = Deliverer(
                outbox: outbox, transport: FlakyTransport(failures: 4), destinations: [Self.route.outboxDestination],
                configuration: .init(
                    concurrency: 1, retry: RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(1), maxDelay: .milliseconds(5)),
                    outageReportInterval: interval),
                logger: capture.logger())
            deliverer.finishInput()
            let report = await deliverer.run()
            #expect(report.sent == 100 && report.failure == nil)
            #expect(report.retried == 400, "four repeated attempts of a 100-event batch")
            let lines = capture.captured
            let started = lines.filter { $0.message.contains("delivery failing") }
            #expect(started.count == 1 && started[0].level == .warning)
            #expect(started.first?.metadata["reason"]?.contains("connection refused") == true)
            let failing = lines.filter { $0.message.contains("still failing") }
            #expect(failing.count == stillFailingLines)
            #expect(failing.allSatisfy { $0.metadata["waiting_events"] == "100" && $0.metadata["next_retry_in_s"] != nil })
            #expect(lines.filter { $0.message.contains("recovered") }.count == 1)
        }
    }
}
