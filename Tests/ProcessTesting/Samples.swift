import Foundation
import Synchronization

/// The repository's samples (`samples/`), as the README's commands read them: written from
/// `samples/templates/` by `scripts/samples.sh`, dated relative to now. A test that reads one
/// asks for it here, so that a plain `swift test` writes them first.
public enum Samples {
    /// The repository root.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private static let written = Mutex(false)

    /// The path of `samples/<name>`, written (all samples at once, once per test run) if needed.
    public static func path(_ name: String) throws -> String {
        let path = root.appendingPathComponent("samples/\(name)").path
        try written.withLock { written in
            guard !written else { return }
            let script = Process()
            script.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            script.arguments = ["bash", root.appendingPathComponent("scripts/samples.sh").path]
            try script.run()
            script.waitUntilExit()
            guard script.terminationStatus == 0 else { throw ToolError("scripts/samples.sh failed with status \(script.terminationStatus)") }
            written = true
        }
        return path
    }
}
