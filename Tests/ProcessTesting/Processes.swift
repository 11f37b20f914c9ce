import AsyncHTTPClient
import Foundation
import JSONKit
import MappingKit
import Testing

/// The built `tiktok-offline` executable, next to the test bundle (or `$TIKTOK_OFFLINE_BINARY`).
public enum ToolBinary {
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["TIKTOK_OFFLINE_BINARY"] { return path }
        #if os(Linux)
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        let testBinary = Bundle.main.bundleURL
        #endif
        var directory = testBinary.deletingLastPathComponent()
        // On macOS the tests run inside an .xctest bundle: climb out of it.
        while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("tiktok-offline").path
    }
}

/// A child process of the tool with its output captured in files (no pipe can fill up and block it).
public final class ToolProcess: @unchecked Sendable {
    public let process = Process()
    public let stdoutPath: String
    public let stderrPath: String
    private let exit: AsyncStream<Int32>
    private let exitContinuation: AsyncStream<Int32>.Continuation
    private let started = ContinuousClock.now
    private let ended = EndTime()

    /// Runs the tool (or `executable` with `prefix` before `arguments`, for another program).
    public init(
        _ arguments: [String], in directory: TemporaryDirectory, name: String, environment: [String: String] = [:],
        executable: String? = nil, prefix: [String] = []
    ) throws {
        let binary = executable ?? ToolBinary.path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ToolError("the tiktok-offline executable is not at \(binary); build it first (swift build)")
        }
        stdoutPath = directory.file("\(name).stdout")
        stderrPath = directory.file("\(name).stderr")
        try #require(FileManager.default.createFile(atPath: stdoutPath, contents: nil))
        try #require(FileManager.default.createFile(atPath: stderrPath, contents: nil))
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = prefix + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        (exit, exitContinuation) = AsyncStream.makeStream(of: Int32.self)
        let continuation = exitContinuation
        let ended = ended
        process.terminationHandler = { process in
            ended.record()
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
    }

    /// How long the process ran, from its start to the moment it ended, as the process-watching
    /// thread saw it: unlike a clock read after `wait()`, a busy test run does not inflate it
    /// much (for a figure the test run's load cannot touch, see ``timed(_:in:name:)``).
    public var ranFor: Duration? { ended.instant.map { $0 - started } }

    /// Runs the tool under a small shell that times it itself (waiting on it directly, as no
    /// thread of the busy test process has to): read the figure with ``wallTime``.
    public static func timed(_ arguments: [String], in directory: TemporaryDirectory, name: String) throws -> ToolProcess {
        let script = #"s=$(date +%s%N); "$@"; r=$?; e=$(date +%s%N); echo "wall-time-ns=$((e - s))" >> "$TIKTOK_OFFLINE_TIMING_FILE"; exit $r"#
        return try ToolProcess(
            [ToolBinary.path] + arguments, in: directory, name: name,
            environment: ["TIKTOK_OFFLINE_TIMING_FILE": directory.file("\(name).timing")],
            executable: "/bin/bash", prefix: ["-c", script, "bash"])
    }

    /// What ``timed(_:in:name:)`` measured, once the process ended; nil for a process not run so.
    public var wallTime: Duration? {
        let file = URL(fileURLWithPath: stdoutPath).deletingPathExtension().appendingPathExtension("timing").path
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let value = text.split(separator: "=").last.flatMap({ Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        else { return nil }
        return .nanoseconds(value)
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for the process to end and returns its exit status. A process still running after
    /// `limit` is killed and the test records why (a hung child must not hang the test run). If
    /// the waiting task is cancelled (a test's time limit), the process is killed first: reading
    /// a running process's status would crash the whole test run.
    @discardableResult
    public func wait(limit: Duration = .seconds(600)) async -> Int32 {
        let pid = process.processIdentifier
        let name = ([process.executableURL?.lastPathComponent ?? "process"] + (process.arguments ?? []).prefix(1)).joined(separator: " ")
        let watchdog = Task {
            try await Task.sleep(for: limit)
            Issue.record("\(name) (pid \(pid)) was still running after \(limit): killed")
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        for await status in exit { return status }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        }
        return process.terminationStatus
    }

    /// Sends `signal` and waits, at most `limit`, for the process to end (then kills it).
    @discardableResult
    public func stop(_ signal: Int32 = SIGTERM, within limit: Duration = .seconds(120)) async -> Int32 {
        self.signal(signal)
        return await wait(limit: limit)
    }

    /// The rest of the first line of stdout (or stderr) that starts with `prefix`, once the
    /// process has written it; fails if the process ends or `timeout` passes first.
    public func line(startingWith prefix: String, onStderr: Bool = false, timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let output = onStderr ? stderr : stdout
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line.dropFirst(prefix.count))
            }
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw ToolError("no line starting with \"\(prefix)\" (\(process.isRunning ? "timed out" : "the process ended")): \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// When a process ended, written by the thread that watches it.
private final class EndTime: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: ContinuousClock.Instant?

    func record() { lock.withLock { recorded = ContinuousClock.now } }
    var instant: ContinuousClock.Instant? { lock.withLock { recorded } }
}

/// `tiktok-offline mock-tiktok` on an ephemeral loopback port.
public final class MockProcess: Sendable {
    public let tool: ToolProcess
    public let baseURL: String

    public init(_ flags: [String] = [], in directory: TemporaryDirectory) async throws {
        let tool = try ToolProcess(["mock-tiktok", "--port", "0"] + flags, in: directory, name: "mock-\(UUID().uuidString.prefix(8))")
        baseURL = try await tool.line(startingWith: "mock-tiktok listening on ", timeout: .seconds(30))
        self.tool = tool
    }

    /// `GET /__stats`, of one event source (event set or pixel) when `eventSource` names one.
    public func stats(eventSource: String? = nil) async throws -> JSON {
        try await get("/__stats", eventSource: eventSource)
    }

    /// `GET /__event_ids`: the `event_id` of every live event taken, of one event source when named.
    public func eventIDs(eventSource: String? = nil) async throws -> [String] {
        try await get("/__event_ids", eventSource: eventSource)["event_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    private func get(_ path: String, eventSource: String?) async throws -> JSON {
        let query = eventSource.map { "?event_source_id=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + path + query), timeout: .seconds(10))
        return try JSON.parse(bytes: try await response.body.collect(upTo: 16 << 20).readableBytesView)
    }

    public func uniqueEvents() async throws -> Int { try await stats()["unique_events"]?.doubleValue.map { Int($0) } ?? -1 }

    public func stop() async {
        await tool.stop(within: .seconds(60))
    }
}

public struct ToolError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A fresh directory under the system's temporary directory, removed by `cleanup()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "tiktok-offline-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    public func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// Polls `condition` until it holds; fails the test after `timeout` instead of hanging.
public func waitUntil(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        try #require(ContinuousClock.now < deadline, "timed out waiting")
        try await Task.sleep(for: .milliseconds(5))
    }
}
