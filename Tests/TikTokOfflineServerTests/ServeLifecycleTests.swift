import Foundation
import Glibc
import MappingKit
import ProcessTesting
import Synchronization
import Testing

/// serve as a long-running process: killed, stopped and reconfigured while clients send.
@Suite("serve: lifecycle (processes)", .timeLimit(.minutes(10)))
struct ServeLifecycleTests {
    /// ≥ 100,000 events from 16 concurrent clients in batches of 100; the service is SIGKILLed
    /// once a third are acknowledged and restarted on the same outbox, the clients carry on
    /// (resending what was not acknowledged); every acknowledged event must reach the stand-in.
    @Test func nothingAcknowledgedIsLostWhenTheServiceIsKilled() async throws {
        let total = ProcessInfo.processInfo.environment["SERVE_DURABILITY_EVENTS"].flatMap(Int.init) ?? 100_000
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let outbox = directory.file("outbox.sqlite")
        let first = try await ServeProcess(mock: mock, in: directory, outbox: outbox, name: "first")
        let target = Shared(first.baseURL)
        let nextBatch = Shared(0)
        let acknowledged = Shared(Set<String>())
        let batches = (total + 99) / 100

        let clients = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        while true {
                            let batch = nextBatch.withLock { next in
                                defer { next += 1 }
                                return next
                            }
                            guard batch < batches else { return }
                            let range = batch * 100..<min(total, batch * 100 + 100)
                            let body = Array(SegmentCalls.batch(range, prefix: "kill").utf8)
                            let deadline = ContinuousClock.now + .seconds(120)
                            while true {
                                let url = target.withLock { $0 }
                                if let reply = try? await ServeProcess.request(
                                    url + "/v1/batch", method: .POST, body: body,
                                    headers: [("Authorization", ServeProcess.basicAuth), ("Content-Type", "application/json")]),
                                   reply.status == 200 {
                                    try #require(!reply.body.contains("refused"), "\(reply.body)")
                                    acknowledged.withLock { ids in for n in range { ids.insert("kill-\(n)") } }
                                    break
                                }
                                try #require(ContinuousClock.now < deadline, "batch \(batch) was never acknowledged")
                                try await Task.sleep(for: .milliseconds(50))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        // However the test ends, its clients stop with it instead of retrying into the next tests.
        defer { clients.cancel() }

        try await waitUntil(timeout: .seconds(300)) { acknowledged.withLock { $0.count } >= total / 3 }
        first.tool.signal(SIGKILL)
        #expect(await first.tool.wait() == SIGKILL)
        let ackedBeforeKill = acknowledged.withLock { $0.count }
        let second = try await ServeProcess(mock: mock, in: directory, outbox: outbox, flags: ["--drain-timeout", "120"], name: "second",
            startTimeout: .seconds(120))
        target.withLock { $0 = second.baseURL }
        try await clients.value
        #expect(await second.stop() == 0, "\(second.tool.stderr)")

        let acked = acknowledged.withLock { $0 }
        let delivered = Set(try await Self.eventIDs(mock))
        #expect(acked.count == total && ackedBeforeKill < total)
        let missing = acked.subtracting(delivered)
        #expect(missing.isEmpty, "\(missing.count) acknowledged events never reached the stand-in, e.g. \(missing.prefix(5))")
        await mock.stop()
    }

    /// A broken mapping on SIGHUP is logged with its place and the old configuration stays;
    /// a fixed one takes over.
    @Test func aHangupReloadsAGoodConfigurationAndKeepsTheOldOneOverABadOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let folder = directory.file("mappings")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let preset = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("mappings/tiktok-offline/complete-payment.yaml")
        let original = try String(contentsOf: preset, encoding: .utf8)
        let file = folder + "/complete-payment.yaml"
        try original.write(toFile: file, atomically: true, encoding: .utf8)

        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--mappings", folder])
        func stored() async throws -> Int {
            let metrics = try await serve.get("/metrics", headers: [("Authorization", "Bearer \(ServeProcess.adminToken)")]).body
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"ingest_events_total{route="/v1/track",outcome="stored"}"#) }
            return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
        }
        #expect(try await serve.post("/v1/track", json: SegmentCalls.orderCompleted(1)).status == 200)
        #expect(try await stored() == 1)

        try (original + "\nmapping: [unclosed\n").write(toFile: file, atomically: true, encoding: .utf8)
        serve.tool.signal(SIGHUP)
        try await waitUntil { serve.tool.stderr.contains("reload failed") }
        #expect(serve.tool.stderr.contains("complete-payment.yaml:"), "the error names the file and place: \(serve.tool.stderr)")
        #expect(try await serve.post("/v1/track", json: SegmentCalls.orderCompleted(2)).status == 200)
        #expect(try await stored() == 2, "the old mapping still fires")

        try original.replacingOccurrences(of: #"event = "Order Completed""#, with: #"event = "Order Refunded""#)
            .write(toFile: file, atomically: true, encoding: .utf8)
        serve.tool.signal(SIGHUP)
        try await waitUntil { serve.tool.stderr.contains("configuration reloaded") }
        #expect(try await serve.post("/v1/track", json: SegmentCalls.orderCompleted(3)).status == 200)
        #expect(try await stored() == 2, "the new mapping no longer fires for Order Completed")
        let refunded = SegmentCalls.orderCompleted(4).replacingOccurrences(of: "Order Completed", with: "Order Refunded")
        #expect(try await serve.post("/v1/track", json: refunded).status == 200)
        #expect(try await stored() == 3)
        #expect(await serve.stop() == 0)
        #expect(try await mock.uniqueEvents() == 3)
        await mock.stop()
    }

    /// SIGTERM while requests are arriving: every acknowledged event is delivered before exit 0.
    @Test func aStopFinishesWhatIsInFlightAndDrainsDelivery() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(["--latency-ms", "20"], in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--drain-timeout", "60"])
        let acknowledged = Shared(Set<String>())
        let senders = (0..<8).map { client in
            Task {
                for round in 0..<1_000 {
                    let start = (client * 1_000 + round) * 10
                    guard let reply = try? await serve.post("/v1/batch", json: SegmentCalls.batch(start..<start + 10, prefix: "stop")),
                          reply.status == 200 else { return }
                    acknowledged.withLock { ids in for n in start..<start + 10 { ids.insert("stop-\(n)") } }
                }
            }
        }
        try await waitUntil(timeout: .seconds(120)) { acknowledged.withLock { $0.count } >= 2_000 }
        serve.tool.signal(SIGTERM)
        for sender in senders { await sender.value }
        #expect(await serve.tool.wait() == 0, "\(serve.tool.stderr)")
        let acked = acknowledged.withLock { $0 }
        let delivered = Set(try await Self.eventIDs(mock))
        #expect(acked.isSubset(of: delivered), "\(acked.subtracting(delivered).count) acknowledged events were not delivered")
        await mock.stop()
    }

    /// One delivering process per outbox: a second serve on the same file refuses to start.
    @Test func aSecondServiceOnTheSameOutboxRefusesToStart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let first = try await ServeProcess(mock: mock, in: directory)
        let second = try ToolProcess(
            ["serve", "--port", "0", "--outbox", directory.file("outbox.sqlite"), "--endpoint", mock.baseURL,
             "--access-token", "t", "--event-set-id", "s", "--write-key", "k"], in: directory, name: "second")
        #expect(await second.wait() == 6)
        #expect(second.stderr.contains("another process is delivering"), "\(second.stderr)")
        #expect(!second.stderr.contains("listening on"))
        #expect(await first.stop() == 0)
        await mock.stop()
    }

    /// TikTok refusing the token stops delivery: /readyz says why, events are still accepted and kept.
    @Test func refusedCredentialsMakeTheServiceUnreadyButEventsAreKept() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(["--bad-token"], in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory)
        #expect(try await serve.post("/v1/batch", json: SegmentCalls.batch(0..<3)).status == 200)
        try await waitUntil { try await serve.get("/readyz").status == 503 }
        let readiness = try await serve.get("/readyz")
        #expect(readiness.json?["reason"]?.stringValue?.contains("refused the access token") == true, "\(readiness.body)")
        #expect(try await serve.post("/v1/batch", json: SegmentCalls.batch(3..<5)).status == 200)
        #expect(await serve.stop() == 0)
        let check = try ToolProcess(["outbox", "check", "--outbox", directory.file("outbox.sqlite")], in: directory, name: "check")
        #expect(await check.wait() == 0)
        #expect(check.stdout.contains("5"), "the five events wait in the outbox: \(check.stdout)")
        await mock.stop()
    }

    /// serve --no-deliver only stores; a `deliver` process sends what it acknowledged.
    @Test func aStoreOnlyServiceLeavesDeliveryToDeliver() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--no-deliver"])
        #expect(try await serve.post("/v1/batch", json: SegmentCalls.batch(0..<40)).status == 200)
        let deliver = try ToolProcess(
            ["deliver", "--outbox", directory.file("outbox.sqlite"), "--endpoint", mock.baseURL,
             "--access-token", "test-token", "--event-set-id", "set-1"], in: directory, name: "deliver")
        #expect(await deliver.wait() == 0, "serve --no-deliver holds no delivery lock: \(deliver.stderr)")
        #expect(try await mock.uniqueEvents() == 40)
        #expect(await serve.stop() == 0)
        await mock.stop()
    }

    static func eventIDs(_ mock: MockProcess) async throws -> [String] {
        let reply = try await ServeProcess.request(mock.baseURL + "/__event_ids", method: .GET, body: nil, headers: [])
        return try #require(reply.json?["event_ids"]?.arrayValue).compactMap(\.stringValue)
    }
}

/// Slow and idle clients against a real serve.
@Suite("serve: slow clients (processes)", .timeLimit(.minutes(2)))
struct SlowClientTests {
    /// A client that sends headers and part of its body, then nothing, is cut off after the
    /// request timeout (408 or a closed connection), stores nothing, and holds nobody up.
    @Test func aStalledRequestIsCutOffAndOthersAreServed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--request-timeout", "1"])
        let port = try #require(URL(string: serve.baseURL)?.port)
        let socket = try RawClient(port: port)
        let body = SegmentCalls.batch(0..<3)
        socket.send("POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Authorization: \(ServeProcess.basicAuth)\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + String(body.prefix(40)))
        let idle = try RawClient(port: port)
        #expect(try await serve.post("/v1/batch", json: SegmentCalls.batch(10..<12)).status == 200, "others are served meanwhile")
        let start = ContinuousClock.now
        let answer = socket.receiveUntilClosed(timeout: .seconds(10))
        #expect(ContinuousClock.now - start < .seconds(5), "cut off after about the timeout")
        #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(idle.receiveUntilClosed(timeout: .seconds(10)).isEmpty, "an idle connection is closed too")
        #expect(await serve.stop() == 0)
        #expect(try await mock.uniqueEvents() == 2)
        await mock.stop()
    }
}

/// A plain TCP client on loopback, for requests no HTTP library would send.
final class RawClient {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ToolError("cannot connect to port \(port)") }
    }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Everything the server sends until it closes the connection (or `timeout` passes).
    func receiveUntilClosed(timeout: Duration) -> String {
        var timeval = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeval, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    deinit { close(descriptor) }
}
