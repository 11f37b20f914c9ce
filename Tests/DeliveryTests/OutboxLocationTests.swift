import Delivery
import Foundation
import OutboxPostgres
import OutboxSQLite
import ProcessTesting
import Runtime
import Testing

/// `--outbox` and embedders name a store by one rule: a PostgreSQL URL is the shared store, any
/// other text a SQLite file; a password never shows.
@Suite("Outbox location")
struct OutboxLocationTests {
    @Test(arguments: [
        ("outbox.sqlite", false), ("/var/lib/x/outbox.sqlite", false), ("postgres://db/outbox", true),
        ("postgresql://u:pw@db:5432/outbox", true), ("postgres-backup.sqlite", false),
    ])
    func aURLIsSharedAndAnythingElseAFile(value: String, shared: Bool) {
        #expect(OutboxLocation(value).isShared == shared)
    }

    @Test func thePasswordIsNeverShown() {
        let location = OutboxLocation("postgres://writer:s3cret-pw@db.internal:5432/outbox?sslmode=require")
        #expect(!location.description.contains("s3cret-pw"))
        #expect(!"\(location)".contains("s3cret-pw"))
        #expect(location.description.contains("db.internal"))
    }

    @Test func aFileOpensAsSQLiteAndKeepsWhatItStored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let location = OutboxLocation(directory.file("outbox.sqlite"))
        #expect(!location.exists)
        let store = try await location.open()
        #expect(store is Outbox)
        #expect(location.exists)
        _ = try await store.enqueue([OutboxMessage(key: "k-1", payload: Array(#"{"a":1}"#.utf8))], destination: "echo:main")
        await store.close()
        let again = try await location.open()
        #expect(try await again.counts().pending == 1)
        await again.close()
    }

    @Test func aDamagedFileIsReportedAsDamaged() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("outbox.sqlite")
        try Data(repeating: 0x41, count: 8_192).write(to: URL(fileURLWithPath: path))
        await #expect(throws: OutboxError.self) { try await OutboxLocation(path).open() }
        do {
            _ = try await OutboxLocation(path).open()
        } catch {
            #expect(error.kind == .damaged, "\(error)")
        }
    }

    @Test func aURLOpensTheSharedStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await OutboxLocation(try await TestDatabase.fresh(directory: directory, prefix: "location")).open()
        #expect(store is PostgresOutbox)
        await store.close()
    }

    /// Nothing listens there: a fault that will not pass by waiting, so it is reported at once.
    @Test func aClosedPortFailsAtOnceWithoutItsPassword() async throws {
        let location = OutboxLocation("postgres://writer:s3cret-pw@127.0.0.1:1/outbox?sslmode=disable")
        do {
            _ = try await location.open()
            Issue.record("opened a store on a closed port")
        } catch {
            #expect(error.kind == .unavailable, "\(error)")
            #expect("\(error)".contains("refused"), "\(error)")
            #expect(!"\(error)".contains("s3cret-pw"))
        }
    }
}
