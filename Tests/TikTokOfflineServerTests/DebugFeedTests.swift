import Foundation
import JSONKit
import MappingKit
import NIOCore
import ProcessTesting
import Testing
@testable import TikTokOfflineServer

/// The debug view's shared log: what a viewer costs, what one that falls behind is told, and
/// (with a real serve) that viewers that never read cannot exhaust memory.
@Suite("serve: debug viewers cost bounded memory", .timeLimit(.minutes(5)))
struct DebugFeedTests {
    static func message(_ n: Int, code: String? = nil) -> DebugFeed.Message {
        .init(testEventCode: code, json: ["message_id": .string("m-\(n)"), "outcome": "stored"])
    }

    /// The messages (and drop notes) in one chunk of a viewer's stream.
    static func messages(in buffer: ByteBuffer) throws -> [JSON] {
        try String(buffer: buffer).components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { try JSON.parse(String($0.dropFirst(6))) }
    }

    @Test func aViewerThatFellBehindIsToldHowManyItMissedAndGoesOnWithTheNewest() async throws {
        let feed = DebugFeed()
        var viewer = feed.subscribe(testEventCode: nil).makeAsyncIterator()
        #expect(String(buffer: try #require(await viewer.next())).contains(": connected"))
        let published = DebugFeed.logMessages + 500
        for n in 0..<published { feed.publish(Self.message(n)) }
        let first = try Self.messages(in: try #require(await viewer.next()))
        #expect(first.first?["outcome"] == "dropped")
        #expect(first.first?["dropped"]?.doubleValue == 500)
        #expect(first.dropFirst().map { $0["message_id"] } == (500..<(500 + DebugFeed.messagesPerFlush)).map { .string("m-\($0)") })
        let second = try Self.messages(in: try #require(await viewer.next()))
        #expect(second.first?["message_id"] == .string("m-\(500 + DebugFeed.messagesPerFlush)"), "no second note: nothing more was lost")
    }

    @Test func aFilteredViewerIsSentOnlyItsCodeAndWhatEveryViewerSees() async throws {
        let feed = DebugFeed()
        var viewer = feed.subscribe(testEventCode: "T1").makeAsyncIterator()
        _ = await viewer.next()
        feed.publish([
            (Self.message(1, code: "T1"), nil, nil, ""), (Self.message(2, code: "T2"), nil, nil, ""),
            (Self.message(3), nil, nil, ""),
            (DebugFeed.Message(testEventCode: nil, json: ["message_id": "m-4", "outcome": "rejected"], toEveryViewer: true), nil, nil, ""),
        ])
        let seen = try Self.messages(in: try #require(await viewer.next()))
        #expect(seen.map { $0["message_id"] } == ["m-1", "m-4"])
    }

    /// Watching every event cannot make ingest build more than ``DebugFeed/admittedPerSecond``
    /// messages a second: the rest are counted and the viewer told; a watched code is never cut.
    @Test func messagesBeyondTheAdmissionRateAreCountedAsDroppedButAWatchedCodeIsKept() async throws {
        let feed = DebugFeed()
        #expect(!feed.admit(testEventCode: nil, toEveryViewer: true), "nothing is built while no one watches")
        var everything = feed.subscribe(testEventCode: nil).makeAsyncIterator()
        var shop = feed.subscribe(testEventCode: "SHOP").makeAsyncIterator()
        _ = await everything.next()
        _ = await shop.next()
        let offered = DebugFeed.admittedPerSecond + 300
        var admitted = 0
        for _ in 0..<offered where feed.admit(testEventCode: nil, toEveryViewer: false) { admitted += 1 }
        #expect(admitted >= DebugFeed.admittedPerSecond && admitted < offered, "admitted \(admitted) of \(offered)")
        #expect((0..<500).allSatisfy { _ in feed.admit(testEventCode: "SHOP", toEveryViewer: false) }, "a watched code is always admitted")
        feed.publish(Self.message(-1, code: "SHOP"))
        let chunk = try #require(await everything.next())
        let note = try #require(try Self.messages(in: chunk).first)
        #expect(note["outcome"] == "dropped")
        #expect(note["dropped"]?.doubleValue == Double(offered - admitted))
        let shopChunk = try #require(await shop.next())
        #expect(try Self.messages(in: shopChunk).map { $0["message_id"] } == ["m--1"], "no note for what it does not watch")
    }

    @Test func theLogHoldsAtMostItsLimitAndIsFreedWhenTheLastViewerLeaves() async throws {
        let feed = DebugFeed()
        do {
            var viewer = feed.subscribe(testEventCode: nil).makeAsyncIterator()
            _ = await viewer.next()
            #expect(feed.isWatched)
            for n in 0..<(DebugFeed.logMessages * 3) { feed.publish(Self.message(n)) }
            #expect(feed.logCount == DebugFeed.logMessages)
        }
        #expect(!feed.isWatched, "a stream that is dropped unsubscribes")
        #expect(feed.logCount == 0)
        feed.publish(Self.message(0))
        #expect(feed.logCount == 0, "nothing is kept while no one watches")
    }

    /// The attack that found the hole: 20 streams that never read while 30,000 events arrive.
    /// Before the shared log, each viewer's stream grew without bound (2.5 GB with 20 viewers).
    @Test func twentyViewersThatNeverReadCannotExhaustMemory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--stale-events", "off"])
        let url = try #require(URL(string: serve.baseURL))
        let script = DebugViewTests.root.appendingPathComponent("Tests/TikTokOfflineServerTests/Clients/idle_viewers.py").path
        let viewers = try ToolProcess.python([script, url.host ?? "127.0.0.1", String(url.port ?? 0), ServeProcess.adminToken, "20"], in: directory)
        try await waitUntil {
            if !viewers.process.isRunning { throw ToolError("the viewers script stopped: \(viewers.stderr)") }
            return viewers.stdout.contains("READY")
        }
        let before = try Self.peakResidentMegabytes(of: serve.tool.process.processIdentifier)
        for start in stride(from: 0, to: 30_000, by: 100) {
            #expect(try await serve.post("/v1/batch", json: SegmentCalls.batch(start..<(start + 100))).status == 200)
        }
        try await waitUntil(timeout: .seconds(120)) { try await mock.uniqueEvents() == 30_000 }
        let peak = try Self.peakResidentMegabytes(of: serve.tool.process.processIdentifier)
        viewers.signal(SIGKILL)
        await viewers.wait()
        #expect(peak < 300, "serve peaked at \(peak) MB (\(before) MB before the events)")
        #expect(await serve.stop() == 0)
        await mock.stop()
    }

    /// VmHWM of a process, in megabytes.
    static func peakResidentMegabytes(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes / 1024
    }
}
