import Foundation
import ProcessTesting

/// A PostgreSQL cluster of a test's own (`scripts/postgres.sh`), for tests that restart or stop
/// the server and so must not share the suite's.
struct ThrowawayPostgres {
    /// `postgres://…` of the cluster's default database.
    let url: String
    private let folder: String
    private let directory: TemporaryDirectory

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/postgres.sh").path

    static func start(in directory: TemporaryDirectory) async throws -> ThrowawayPostgres {
        let start = try ToolProcess(["start"], in: directory, name: "postgres-start", executable: script)
        guard await start.wait() == 0 else { throw ToolError("scripts/postgres.sh start failed: \(start.stderr)") }
        var exports: [String: String] = [:]
        for line in start.stdout.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { exports[pair[0]] = pair[1] }
        }
        guard let url = exports["TIKTOK_OFFLINE_TEST_POSTGRES"], let folder = exports["TIKTOK_OFFLINE_TEST_POSTGRES_DIR"] else {
            throw ToolError("scripts/postgres.sh start printed no server: \(start.stdout)")
        }
        return ThrowawayPostgres(url: url + "?sslmode=disable", folder: folder, directory: directory)
    }

    /// A fast restart: every connection is cut, and the server is back when this returns.
    func restart() async throws {
        let restart = try ToolProcess(["restart", folder], in: directory, name: "postgres-restart", executable: Self.script)
        guard await restart.wait() == 0 else { throw ToolError("scripts/postgres.sh restart failed: \(restart.stderr)") }
    }

    func stop() async {
        if let stop = try? ToolProcess(["stop", folder], in: directory, name: "postgres-stop", executable: Self.script) {
            _ = await stop.wait()
        }
    }
}
