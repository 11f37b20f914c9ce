import Foundation
import ProcessTesting
import Testing

/// `serve --health-port`: probes and metrics on a listener of their own, answered while idle
/// clients hold every connection of the main port (which then answers nothing, health included).
@Suite("serve: health listener (processes)", .timeLimit(.minutes(2)))
struct HealthListenerTests {
    @Test func probesAreAnsweredWhileIdleClientsHoldEveryMainConnection() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--health-port", "0", "--max-connections", "8"])
        let health = try await serve.tool.line(startingWith: "health and metrics on ", onStderr: true)
        #expect(try await ServeProcess.request(health + "/healthz", method: .GET, body: nil, headers: []).status == 200)

        let port = try #require(URL(string: serve.baseURL)?.port)
        let idle = try (0..<8).map { _ in try IdleConnection(port: port) }
        defer { idle.forEach { $0.close() } }
        try await Task.sleep(for: .milliseconds(300))
        await #expect(throws: (any Error).self, "the main port is full: its /healthz waits") {
            _ = try await ServeProcess.request(serve.baseURL + "/healthz", method: .GET, body: nil, headers: [], timeout: .seconds(2))
        }
        let start = ContinuousClock.now
        #expect(try await ServeProcess.request(health + "/healthz", method: .GET, body: nil, headers: []).status == 200)
        #expect(try await ServeProcess.request(health + "/readyz", method: .GET, body: nil, headers: []).json?["ready"] == true)
        let metrics = try await ServeProcess.request(
            health + "/metrics", method: .GET, body: nil, headers: [("Authorization", "Bearer \(ServeProcess.adminToken)")])
        #expect(metrics.status == 200 && metrics.body.contains("# TYPE"), "\(metrics.body.prefix(200))")
        #expect(try await ServeProcess.request(health + "/metrics", method: .GET, body: nil, headers: []).status == 401)
        // At once when the machine is idle; well before the main port's idle clients time out (30 s) under load.
        #expect(ContinuousClock.now - start < .seconds(15), "the health port answered without waiting for a connection")
        #expect(try await ServeProcess.request(health + "/v1/batch", method: .POST, body: [], headers: []).status == 404,
                "only operations are served there")

        idle.forEach { $0.close() }
        #expect(await serve.stop() == 0, "\(serve.tool.stderr)")
        await mock.stop()
    }
}

/// A TCP connection to loopback that sends nothing.
final class IdleConnection: Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ToolError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ToolError("connect: \(errno)") }
    }

    func close() { _ = Glibc.close(descriptor) }
}
