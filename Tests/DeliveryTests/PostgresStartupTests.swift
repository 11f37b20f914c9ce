import Delivery
import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// What a careless `--outbox postgres://…` gets: at start-up, within seconds, PostgreSQL's own
/// reason and exit 8, never a minute's wait and a vague timeout; and never the URL's password,
/// in errors, summaries or logs. The suite's server (`scripts/postgres.sh`) checks the password
/// of its role `password_test` (`right-password`).
@Suite("PostgreSQL outbox: start-up failures and passwords (processes)", .timeLimit(.minutes(5)))
struct PostgresStartupTests {
    static let credentials = ["--access-token", "test-token", "--event-set-id", "test-event-set-id"]
    static let password = "S3cretPassw0rd"

    /// The suite's server as `user[:password]@`, on `database`.
    static func url(user: String, password: String?, database: String = "postgres") throws -> String {
        guard let server = ProcessInfo.processInfo.environment["TIKTOK_OFFLINE_TEST_POSTGRES"], var components = URLComponents(string: server) else {
            throw ToolError("no PostgreSQL for the tests: set TIKTOK_OFFLINE_TEST_POSTGRES, or run scripts/test.sh")
        }
        components.user = user
        components.password = password
        components.path = "/" + database
        components.query = "sslmode=disable"
        return components.string!
    }

    static func closedPortURL() throws -> String {
        try url(user: "postgres", password: password).replacingOccurrences(
            of: #":\d+/"#, with: ":1/", options: .regularExpression)
    }

    enum Case: String, CaseIterable, Sendable {
        case wrongPassword, missingDatabase, missingUser, closedPort, unparsablePort

        func outbox() throws -> String {
            switch self {
            case .wrongPassword: try PostgresStartupTests.url(user: "password_test", password: PostgresStartupTests.password)
            case .missingDatabase: try PostgresStartupTests.url(user: "postgres", password: PostgresStartupTests.password, database: "no_such_database")
            case .missingUser: try PostgresStartupTests.url(user: "no_such_user", password: PostgresStartupTests.password)
            case .closedPort: try PostgresStartupTests.closedPortURL()
            case .unparsablePort: "postgres://user:\(PostgresStartupTests.password)@127.0.0.1:notaport/db"
            }
        }

        var reason: String {
            switch self {
            case .wrongPassword: "refused the credentials, SQLSTATE 28P01"
            case .missingDatabase: "does not exist, SQLSTATE 3D000"
            case .missingUser: "refused the credentials, SQLSTATE 28000"
            case .closedPort: "connection refused"
            case .unparsablePort: "not a valid postgres:// URL"
            }
        }
    }

    /// Every command that opens an outbox, with each bad URL: exit 8 within 20 s, the reason, no password.
    @Test(arguments: Case.allCases)
    func aBadOutboxURLFailsAtOnceWithItsReason(_ failure: Case) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 3, invalid: 0)
        let outbox = try failure.outbox()
        let commands: [[String]] = [
            ["run", "--input", input, "--outbox", outbox, "--endpoint", "http://127.0.0.1:1"] + Self.credentials,
            ["deliver", "--outbox", outbox, "--endpoint", "http://127.0.0.1:1"] + Self.credentials,
            ["outbox", "check", "--outbox", outbox],
            ["dead-letters", "list", "--outbox", outbox],
            ["serve", "--port", "0", "--outbox", outbox, "--endpoint", "http://127.0.0.1:1", "--write-key", "k"] + Self.credentials,
        ]
        for arguments in commands {
            let tool = try ToolProcess.timed(arguments, in: directory, name: "\(arguments[0])-\(UUID().uuidString.prefix(4))")
            let status = await tool.wait()
            let elapsed = tool.wallTime ?? .seconds(Int64.max)
            let output = tool.stdout + tool.stderr
            #expect(status == 8, "\(arguments[0]): exit \(status): \(output)")
            #expect(elapsed < .seconds(20), "\(arguments[0]) took \(elapsed)")
            #expect(output.contains(failure.reason), "\(arguments[0]): \(output)")
            #expect(!output.contains(Self.password), "\(arguments[0]) printed the password: \(output)")
        }
    }

    /// A URL that works, with a password: `run`'s and `deliver`'s summaries (text and JSON) and
    /// `outbox check` show the outbox without it.
    @Test func aPasswordInAWorkingURLIsNeverPrinted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let database = try #require(URLComponents(string: try await TestDatabase.fresh(directory: directory))?.path.dropFirst())
        let outbox = try Self.url(user: "password_test", password: "right-password", database: String(database))
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 20, invalid: 2)
        let runs: [[String]] = [
            ["run", "--input", input, "--outbox", outbox, "--endpoint", mock.baseURL, "--stale-events", "off"] + Self.credentials,
            ["run", "--input", input, "--outbox", outbox, "--endpoint", mock.baseURL, "--stale-events", "off", "--json-summary"] + Self.credentials,
            ["deliver", "--outbox", outbox, "--endpoint", mock.baseURL] + Self.credentials,
            ["deliver", "--outbox", outbox, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials,
            ["outbox", "check", "--outbox", outbox],
            ["dead-letters", "list", "--outbox", outbox],
        ]
        for arguments in runs {
            let tool = try ToolProcess(arguments, in: directory, name: "\(arguments[0])-\(UUID().uuidString.prefix(4))")
            let status = await tool.wait()
            let output = tool.stdout + tool.stderr
            #expect(status == 0, "\(arguments): \(output)")
            #expect(!output.contains("right-password"), "\(arguments[0]) printed the password: \(output)")
        }
        #expect(try await mock.uniqueEvents() > 0)
        await mock.stop()
    }

    @Test(arguments: [
        ("postgres://app:pw@db/events", "postgres://app:***@db/events"),
        ("postgres://user:PW@host:notaport/db", "postgres://user:***@host:notaport/db"),
        ("postgresql://a:b:c@h/d?sslmode=disable&password=x", "postgresql://a:***@h/d?sslmode=disable&password=***"),
        ("postgres://app@db/events", "postgres://app@db/events"),
        ("postgres://us%40er:p@ss@h/d", "postgres://us%40er:***@h/d"),
        ("/var/lib/outbox.sqlite", "/var/lib/outbox.sqlite"),
    ])
    func locationsAreShownWithoutPasswords(_ location: String, _ shown: String) {
        #expect(redactedLocation(location) == shown)
        #expect(OutboxError(kind: .other, path: location, message: "m").description == shown + ": m")
    }
}
