import AsyncHTTPClient
import Foundation
import JSONKit
import MappingKit
import Synchronization
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
///
/// Spawned with `posix_spawn` and watched by a thread of its own blocked in `waitpid` for this
/// child only, rather than through Foundation's `Process`: Foundation reaps every child from one
/// monitor thread, which can block in `wait4` on a child that is still running (seen when a
/// child leaves a daemon behind, as the PostgreSQL start script does), after which no child's
/// end is ever noticed and the whole test run hangs. The child gets `/dev/null` as its input,
/// the default signal dispositions, and no descriptor of the test process but its output files.
public final class ToolProcess: @unchecked Sendable {
    public let stdoutPath: String
    public let stderrPath: String
    /// The program and its arguments, as spawned.
    public let arguments: [String]
    public let processIdentifier: pid_t
    private let exit = ExitBox()
    private let started = ContinuousClock.now

    private struct ExitState {
        var status: Int32?
        var ended: ContinuousClock.Instant?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// Shared with the thread that waits on the child.
    private final class ExitBox: Sendable {
        let state = Mutex(ExitState())
    }

    /// Runs the tool (or `executable` with `prefix` before `arguments`, for another program).
    /// `environment` is added to the test process's own (or replaces it, without `inheritEnvironment`).
    public init(
        _ arguments: [String], in directory: TemporaryDirectory, name: String, environment: [String: String] = [:],
        executable: String? = nil, prefix: [String] = [], inheritEnvironment: Bool = true, stdin: String? = nil
    ) throws {
        let binary = executable ?? ToolBinary.path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ToolError("the tiktok-offline executable is not at \(binary); build it first (swift build)")
        }
        stdoutPath = directory.file("\(name).stdout")
        stderrPath = directory.file("\(name).stderr")
        try #require(FileManager.default.createFile(atPath: stdoutPath, contents: nil))
        try #require(FileManager.default.createFile(atPath: stderrPath, contents: nil))
        var input = "/dev/null"
        if let stdin {
            input = directory.file("\(name).stdin")
            try #require(FileManager.default.createFile(atPath: input, contents: Data(stdin.utf8)))
        }
        self.arguments = [binary] + prefix + arguments
        let base = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        let variables = base.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        processIdentifier = try Self.spawn(self.arguments, environment: variables, stdin: input, stdout: stdoutPath, stderr: stderrPath)
        let pid = processIdentifier
        let box = exit
        let watcher = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // Like Foundation's terminationStatus: the exit code, or the signal that ended it.
            let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : status & 0x7F
            let waiters = box.state.withLock { state in
                state.status = code
                state.ended = ContinuousClock.now
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: code) }
        }
        watcher.name = "wait \(pid)"
        watcher.start()
    }

    private static func spawn(_ argv: [String], environment: [String], stdin: String, stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_APPEND, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_APPEND, 0)
        closeOthers(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else { throw ToolError("cannot start \(argv[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc
    /// module does not import.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Closes in the child every descriptor above 2: the test process's sockets and files stay its own.
    private static func closeOthers(_ actions: inout posix_spawn_file_actions_t) {
        if let addCloseFrom {
            _ = addCloseFrom(&actions, 3)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    /// This process (tests that read `process.isRunning` or `process.processIdentifier`).
    public var process: ToolProcess { self }

    public var isRunning: Bool { exit.state.withLock { $0.status == nil } }

    /// The exit status once it ended (the signal's number if a signal ended it); nil before.
    public var terminationStatus: Int32? { exit.state.withLock { $0.status } }

    /// How long the process ran, from its start to the moment it ended, as the thread that waits
    /// on it saw it: unlike a clock read after `wait()`, a busy test run does not inflate it much
    /// (for a figure the test run's load cannot touch, see ``timed(_:in:name:)``).
    public var ranFor: Duration? { exit.state.withLock { $0.ended }.map { $0 - started } }

    /// Runs the tool under a small shell that times it itself: read the figure with ``wallTime``.
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
    /// `limit` is killed and the test records why (a hung child must not hang the test run); if
    /// the waiting task is cancelled (a test's time limit), the process is killed at once.
    @discardableResult
    public func wait(limit: Duration = .seconds(600)) async -> Int32 {
        let pid = processIdentifier
        let name = arguments.prefix(2).map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " ")
        let watchdog = Task {
            try await Task.sleep(for: limit)
            Issue.record("\(name) (pid \(pid)) was still running after \(limit): killed")
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Int32, Never>) in
                let status = exit.state.withLock { state -> Int32? in
                    if state.status == nil { state.waiters.append(waiter) }
                    return state.status
                }
                if let status { waiter.resume(returning: status) }
            }
        } onCancel: {
            kill(pid, SIGKILL)
        }
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
            guard isRunning, ContinuousClock.now < deadline else {
                throw ToolError("no line starting with \"\(prefix)\" (\(isRunning ? "timed out" : "the process ended")): \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    public func signal(_ number: Int32) {
        if isRunning { kill(processIdentifier, number) }
    }

    deinit {
        if isRunning { kill(processIdentifier, SIGKILL) }
    }
}

/// Runs `executable` with `arguments` to its end, blocking the calling thread (for the few
/// synchronous places a test needs a system command: mounting a small disk); its exit status.
public func runToEnd(_ executable: String, _ arguments: [String]) -> Int32 {
    guard let directory = try? TemporaryDirectory(), let child = try? ToolProcess(arguments, in: directory, name: "command", executable: executable)
    else { return -1 }
    defer { directory.cleanup() }
    while child.isRunning { usleep(5_000) }
    return child.terminationStatus ?? -1
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
