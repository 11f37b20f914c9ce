import ConversionEngine
import Delivery

/// The destinations one process runs, each configured with its own settings and credentials:
/// which destination a stored queue belongs to, and one transport that sends every queue
/// with its own destination's transport.
///
/// ```swift
/// let set = try DestinationSet([offline, conversions])
/// let deliverer = Deliverer(outbox: outbox, transport: set.transport(), destinations: queues)
/// ```
public struct DestinationSet: Sendable {
    public let destinations: [any Destination]

    /// Throws ``EngineError`` when two destinations share a name (their queues could not be told apart).
    public init(_ destinations: [any Destination]) throws(EngineError) {
        var names = Set<String>()
        for destination in destinations where !names.insert(destination.name).inserted {
            throw EngineError("the destination '\(destination.name)' is configured twice")
        }
        self.destinations = destinations
    }

    /// The destination named `name`.
    public subscript(name: String) -> (any Destination)? { destinations.first { $0.name == name } }

    /// The destination whose queue `queue` is (the first that owns it).
    public func destination(owning queue: String) -> (any Destination)? {
        destinations.first { $0.owns(queue: queue) }
    }

    /// Sends each queue with the transport of the destination that owns it; a queue no
    /// destination can send (one without credentials) is refused as unauthorized, naming it.
    public func transport() -> any BatchTransport {
        DestinationTransport(routes: destinations.compactMap { destination in
            destination.transport().map { (destination.name, destination, $0) }
        })
    }
}

/// ``DestinationSet/transport()``.
private struct DestinationTransport: BatchTransport {
    let routes: [(name: String, destination: any Destination, transport: any BatchTransport)]

    private func route(for queue: String) -> (any BatchTransport)? {
        routes.first { $0.destination.owns(queue: queue) }?.transport
    }

    func send(_ entries: ArraySlice<OutboxEntry>, destination: String) async -> TransportOutcome {
        guard let transport = route(for: destination) else {
            return .unauthorized(reason: "no configured destination with credentials sends \(destination)")
        }
        return await transport.send(entries, destination: destination)
    }

    func canSend(to destination: String) -> Bool {
        route(for: destination)?.canSend(to: destination) ?? false
    }
}
