import Foundation

/// A database of its own for each test, on the server `TIKTOK_OFFLINE_TEST_POSTGRES` names
/// (scripts/test.sh starts a throwaway one).
public enum TestDatabase {
    /// Creates an empty database and returns its URL (`sslmode=disable`: loopback only).
    public static func fresh(directory: TemporaryDirectory, prefix: String = "test") async throws -> String {
        guard let server = ProcessInfo.processInfo.environment["TIKTOK_OFFLINE_TEST_POSTGRES"], !server.isEmpty else {
            throw ToolError("no PostgreSQL for the tests: set TIKTOK_OFFLINE_TEST_POSTGRES to a server URL, or run scripts/test.sh, which starts a throwaway one")
        }
        let name = prefix + "_" + UUID().uuidString.prefix(8).lowercased()
        let psql = try ToolProcess([server, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"],
                                   in: directory, name: "psql-\(name)", executable: "/usr/bin/psql")
        guard await psql.wait() == 0 else { throw ToolError("cannot create a test database: \(psql.stderr)") }
        guard var components = URLComponents(string: server) else { throw ToolError("TIKTOK_OFFLINE_TEST_POSTGRES is not a URL") }
        components.path = "/" + name
        components.query = "sslmode=disable"
        return components.string!
    }
}
