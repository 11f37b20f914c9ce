#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on `<outbox>.deliver-lock`, held while a deliverer runs,
/// so two processes never send from the same outbox. The kernel drops it if the process dies.
final class DeliveryLock {
    private var descriptor: Int32

    /// Nil when another process holds the lock.
    init?(outboxPath: String) {
        let descriptor = open(outboxPath + ".deliver-lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
    }

    func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}

/// An exclusive `flock` on `<outbox>.open-lock`, held while a process checks the outbox file,
/// switches it to WAL and migrates its schema, so processes that start together take turns
/// instead of failing on each other's half-done migration.
///
/// It is a file of its own, never the database: closing any descriptor of the database file
/// would drop the POSIX locks SQLite holds on it in this process.
final class OpeningLock {
    private var descriptor: Int32

    /// Waits up to `timeout` seconds for the lock.
    init(path outboxPath: String, timeout: Double) throws {
        let path = outboxPath + ".open-lock"
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutboxError(kind: .unavailable, path: outboxPath, message: "cannot create \(path) (\(String(cString: strerror(errno))))")
        }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                close(descriptor)
                throw OutboxError(kind: .busy, path: outboxPath, message: "another process kept the outbox file busy while opening it for over \(Int(timeout)) s")
            }
            usleep(5_000)
        }
        self.descriptor = descriptor
    }

    func unlock() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
