import Foundation
import Synchronization

/// The repository's samples (`samples/`), as the README's commands read them: written from
/// `samples/templates/` by `scripts/samples.sh`, dated relative to now. A test that reads one
/// asks for it here, so that a plain `swift test` writes them first.
public enum Samples {
    /// The repository root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The one run of `scripts/samples.sh`, shared by every test that asks.
    private static let writing = Mutex<Task<Void, any Error>?>(nil)

    /// The path of `samples/<name>`, written (all samples at once, once per test run) if needed.
    /// Awaited, never waited on: a blocked thread is one of the few every other test runs on.
    public static func path(_ name: String) async throws -> String {
        let run = writing.withLock { run in
            if let run { return run }
            let started = Task { try await writeAll() }
            run = started
            return started
        }
        try await run.value
        return root.appendingPathComponent("samples/\(name)").path
    }

    private static func writeAll() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let script = try ToolProcess(
            [root.appendingPathComponent("scripts/samples.sh").path], in: directory, name: "samples",
            executable: "/usr/bin/env", prefix: ["bash"])
        let status = await script.wait()
        guard status == 0 else { throw ToolError("scripts/samples.sh failed with status \(status): \(script.stderr)") }
    }
}
