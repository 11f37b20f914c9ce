import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// Runs the built `tiktok-offline` binary as a separate process, as a user would.
enum Tool {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The binary beside the test bundle (the same build folder), else the default debug build.
    static let executable: URL = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("tiktok-offline")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return packageRoot.appendingPathComponent(".build/debug/tiktok-offline")
    }()

    /// Runs the tool to its end. Async, so a waiting test never holds one of the few threads
    /// every other test's timers and I/O run on.
    static func run(_ arguments: [String], stdin: String = "", environment: [String: String]? = nil) async throws -> Result {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let process = try ToolProcess(
            arguments, in: directory, name: "tool", environment: environment ?? [:], executable: executable.path,
            inheritEnvironment: environment == nil, stdin: stdin)
        let status = await process.wait()
        return Result(status: status, stdout: process.stdout, stderr: process.stderr)
    }
}

/// A temporary folder for files a test writes; removed when the value is released.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tiktok-offline-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }
}

/// The vector files copied for MappingKit's tests.
enum SharedFixtures {
    static func vectors(_ name: String) -> [JSONObject] {
        let url = Tool.packageRoot.appendingPathComponent("Tests/MappingKitTests/Fixtures/\(name)")
        guard let data = try? Data(contentsOf: url), case .array(let entries)? = try? JSON.parse(bytes: data) else {
            fatalError("cannot read \(url.path)")
        }
        return entries.compactMap(\.objectValue)
    }
}
