#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Delivery
import Synchronization

/// An exclusive advisory lock (`flock`) on a lock file of its own next to the outbox; the
/// kernel drops it if the process dies.
///
/// - `<outbox>.deliver-lock`: held while a deliverer runs, so two processes never send from
///   the same outbox (``tryLock(_:)``).
/// - `<outbox>.open-lock`: held while a process checks the outbox file, switches it to WAL and
///   migrates its schema, so processes that start together take turns instead of failing on
///   each other's half-done migration (``wait(for:upTo:outboxPath:)``).
///
/// Always a file of its own, never the database: closing any descriptor of the database file
/// would drop the POSIX locks SQLite holds on it in this process.
final class FileLock: OutboxDeliveryLock, @unchecked Sendable {
    // Unchecked: the descriptor changes only in unlock(), under `mutex`.
    private var descriptor: Int32
    private let mutex = Mutex(())

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// The lock, or nil at once when another process holds it (or the file cannot be made).
    static func tryLock(_ path: String) -> FileLock? {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return FileLock(descriptor: descriptor)
    }

    /// Waits up to `timeout` seconds for the lock on `path`, taken for the outbox at `outboxPath`
    /// (named in the errors).
    static func wait(for path: String, upTo timeout: Double, outboxPath: String) throws -> FileLock {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while true {
            if let lock = FileLock.tryLock(path) { return lock }
            if errno != EWOULDBLOCK && errno != EINTR {
                throw OutboxError(kind: .unavailable, path: outboxPath, message: "cannot create \(path) (\(String(cString: strerror(errno))))")
            }
            guard ContinuousClock.now < deadline else {
                throw OutboxError(kind: .busy, path: outboxPath, message: "another process kept the outbox file busy while opening it for over \(Int(timeout)) s")
            }
            usleep(5_000)
        }
    }

    func unlock() {
        mutex.withLock { _ in
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }

    func release() { unlock() }

    deinit { unlock() }
}
