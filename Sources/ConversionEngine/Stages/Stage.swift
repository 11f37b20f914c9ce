import Logging

/// One step of the pipeline: it transforms the records of a batch in place.
///
/// Implementation requirements:
/// - Work only on pending records (``Batch/forEachPending(_:)``); leave settled ones alone.
/// - Mark a bad record with ``Record/reject(_:)`` and a reason instead of throwing. Throw
///   only when the whole batch cannot proceed (a sink that is down); the pipeline stops
///   and the caller decides what to do with the batch.
/// - Never put personal data (emails, phones, external ids) in reasons, warnings or logs.
/// - Be `Sendable` and keep no per-batch state: one instance serves concurrent runs.
///
/// ```swift
/// struct DropTestOrders: Stage {
///     func process(_ batch: inout Batch, context: StageContext) async throws {
///         batch.forEachPending { record in
///             if record.fields["order_id"]?.stringValue?.hasPrefix("test-") == true {
///                 record.skip("test order")
///             }
///         }
///     }
/// }
/// ```
public protocol Stage: Sendable {
    func process(_ batch: inout Batch, context: StageContext) async throws

    /// What the stage reads of ``Record/event``. The default, ``EventNeeds/everything``, is
    /// always safe; declaring less lets the engine skip building the rest of each event.
    var eventNeeds: EventNeeds { get }
}

extension Stage {
    public var eventNeeds: EventNeeds { .everything }
}

/// The parts of the incoming event a stage reads through ``Record/event``.
public enum EventNeeds: Sendable, Hashable {
    /// The stage never reads `record.event`.
    case nothing
    /// Only these members, as dotted paths from the top (`context.consent`), each with
    /// everything inside it.
    case paths([String])
    /// Any part of the event.
    case everything

    /// What two stages together read.
    public func union(_ other: EventNeeds) -> EventNeeds {
        switch (self, other) {
        case (.everything, _), (_, .everything): .everything
        case (.nothing, let needs), (let needs, .nothing): needs
        case (.paths(let a), .paths(let b)): .paths(a + b.filter { !a.contains($0) })
        }
    }
}

/// What a stage may know about the run it is part of.
public struct StageContext: Sendable {
    /// The name the stage is registered under in this pipeline.
    public var stageName: String
    /// The time the batch started, in seconds since 1970 (used where an event has no time).
    public var now: Int64
    /// Where a stage may log. Never log personal data.
    public var logger: Logger
    /// The batch's place among batches processed at once, when their order matters (nil for
    /// a batch processed on its own): a stage that stores awaits
    /// ``InputOrder/Turn/earlierBatchesFinished()`` first, so storage keeps the input's order.
    public var turn: InputOrder.Turn?

    public init(stageName: String, now: Int64, logger: Logger, turn: InputOrder.Turn? = nil) {
        self.stageName = stageName
        self.now = now
        self.logger = logger
        self.turn = turn
    }
}
