import UnixSignals

/// SIGINT and SIGTERM as an async sequence (ServiceLifecycle's UnixSignals), replacing the
/// default "terminate at once" for as long as it is iterated.
enum TerminationSignals {
    /// Each SIGINT or SIGTERM received from now on.
    static func stream() async -> UnixSignalsSequence {
        await UnixSignalsSequence(trapping: .sigint, .sigterm)
    }

    /// Returns at the first SIGINT or SIGTERM.
    static func wait() async {
        for await _ in await stream() { return }
    }
}
