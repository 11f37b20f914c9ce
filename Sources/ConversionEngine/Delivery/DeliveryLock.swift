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
