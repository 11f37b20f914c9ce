import ConversionEngine
import Foundation
import MappingKit
import ProcessTesting
import ServiceLifecycle
import Synchronization
import Testing
import TikTokOffline

/// Group commit: many concurrent submissions, few pipeline runs, each submitter its own records.
@Suite("Ingest queue", .timeLimit(.minutes(2)))
struct IngestQueueTests {
    /// Counts the send stage's calls; holds each for `pause` (a commit), fails when told to.
    final class CountingSink: EventSink {
        let calls = Shared(0)
        let failing = Shared(false)
        let pause: Duration
        init(pause: Duration = .milliseconds(2)) { self.pause = pause }

        func deliver(_ batch: inout Batch, addressing: any RecordAddressing, context: StageContext) async throws {
            calls.withLock { $0 += 1 }
            try await Task.sleep(for: pause)
            if failing.withLock({ $0 }) { throw CancellationError() }
            batch.forEachPending { $0.markSent() }
        }
    }

    static let settings = TikTokSettings(accessToken: "t", eventSetID: "s")

    static func queue(_ sink: CountingSink, _ configuration: IngestQueue.Configuration = .init()) throws -> IngestQueue {
        IngestQueue(ingest: Ingest(engine: try TikTokDestination.engine(settings: settings, sink: sink)), configuration: configuration)
    }

    /// A submission of `count` "Order Completed" events numbered from 1, ids `<tag>-<n>`.
    static func events(_ tag: String, _ count: Int) -> RawEvents {
        var events = RawEvents()
        for n in 1...count {
            let text = #"{"type":"track","userId":"u","event":"Order Completed","messageId":"\#(tag)-\#(n)","properties":{"order_id":"\#(tag)-\#(n)","email":"a@b.co"}}"#
            events.append(number: n, Array(text.utf8))
        }
        return events
    }

    /// Runs `body` once the queue, running in a task, takes submissions; cancels it afterwards.
    static func withRunning(_ queue: IngestQueue, sink: CountingSink? = nil, _ body: () async throws -> Void) async throws {
        let running = Task { try await queue.run() }
        try await waitUntil { (try? await queue.submit(events("probe", 1))) != nil }
        sink?.calls.withLock { $0 = 0 }
        try await body()
        running.cancel()
        try? await running.value
    }

    @Test func concurrentSubmissionsShareCommitsAndEachGetsItsOwnRecords() async throws {
        let sink = CountingSink()
        let queue = try Self.queue(sink)
        try await Self.withRunning(queue, sink: sink) { () async throws in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<200 {
                    group.addTask {
                        let count = client % 3 + 1
                        let result = try await queue.submit(Self.events("c\(client)", count))
                        #expect(result.batch.records.map(\.line) == Array(1...count), "numbered as submitted")
                        #expect(result.totals.accepted == count && result.totals.received == count)
                        let ids = result.batch.records.compactMap { $0.fields["event_id"]?.stringValue }
                        #expect(ids == (1...count).map { "c\(client)-\($0)" }, "its own events, in order")
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(sink.calls.withLock { $0 } < 100, "400 events in \(sink.calls.withLock { $0 }) commits")
    }

    @Test func aFailedCommitFailsEverySubmissionInIt() async throws {
        let sink = CountingSink()
        let queue = try Self.queue(sink)
        try await Self.withRunning(queue) { () async throws in
            sink.failing.withLock { $0 = true }
            await #expect(throws: CancellationError.self) { try await queue.submit(Self.events("f", 2)) }
            sink.failing.withLock { $0 = false }
            #expect(try await queue.submit(Self.events("g", 2)).totals.accepted == 2)
        }
    }

    @Test func pastItsBoundTheQueueRefusesInsteadOfGrowing() async throws {
        let queue = try Self.queue(CountingSink(pause: .milliseconds(200)), .init(maxBatchEvents: 10, workers: 1, maxQueuedEvents: 20))
        try await Self.withRunning(queue) { () async throws in
            let outcomes = Shared<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await queue.submit(Self.events("o\(client)", 5))
                            outcomes.withLock { $0.append("stored") }
                        } catch IngestQueueError.overloaded {
                            outcomes.withLock { $0.append("overloaded") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let all = outcomes.withLock { $0 }
            #expect(all.contains("overloaded") && all.contains("stored"))
        }
    }

    @Test func withoutRunningOrAfterShutdownNothingIsTaken() async throws {
        let queue = try Self.queue(CountingSink())
        await #expect(throws: IngestQueueError.self) { try await queue.submit(Self.events("x", 1)) }
        let group = ServiceGroup(services: [queue], logger: .init(label: "test"))
        let running = Task { try await group.run() }
        try await waitUntil {
            (try? await queue.submit(Self.events("y", 1)))?.totals.accepted == 1
        }
        await group.triggerGracefulShutdown()
        try await running.value
        await #expect(throws: IngestQueueError.self) { try await queue.submit(Self.events("z", 1)) }
    }
}
