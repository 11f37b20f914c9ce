import JSONKit
import MappingKit

/// One event as seen by one fired mapping: the unit every stage works on.
///
/// A record starts ``Outcome/pending``. Stages read and rewrite ``fields`` (the action's
/// fields after mapping and schema coercion) and settle the record with ``reject(_:)``,
/// ``skip(_:)`` or ``markSent()``; once settled, later stages leave it alone.
public struct Record: Sendable {
    /// Where the event came from: its 1-based position in the input (a line number for NDJSON).
    public internal(set) var line: Int
    /// The name of the mapping that fired.
    public let mapping: String
    /// The action the mapping feeds, e.g. `reportOfflineEvent`.
    public let action: String
    /// The event as received. Read it; never send it on.
    public let event: JSON
    /// The action's fields: mapped, cleaned of empty values and coerced to the schema.
    public var fields: JSONObject
    /// What happened to the record so far.
    public private(set) var outcome: Outcome
    /// Non-fatal findings (a value dropped, a name replaced). Never holds personal data.
    public var warnings: [String]
    /// The destination's rendering of the record as JSON text (what it sends for this
    /// record alone, e.g. one element of a request's list), set by the stage that prepares it for sending.
    public var output: [UInt8]?
    /// What the destination's writer noted about ``output`` while writing it, in the
    /// destination's own bits (e.g. which identifiers the output carries), so that
    /// counting them needs no second reading of the output. Nil when nothing was noted.
    public var outputNotes: UInt64?
    /// The destination's fused plan (``FusedPlan``) prepared the record while routing it:
    /// ``output`` is final and ``fields`` holds only what delivery reads. The stages the plan
    /// stands in for (normalizing, hashing, validating, writing) pass it by.
    public private(set) var isPrepared: Bool

    public init(line: Int, mapping: String, action: String, event: JSON, fields: JSONObject) {
        self.line = line
        self.mapping = mapping
        self.action = action
        self.event = event
        self.fields = fields
        self.outcome = .pending
        self.warnings = []
        self.output = nil
        self.outputNotes = nil
        self.isPrepared = false
    }

    /// True until a stage settles the record.
    @inlinable public var isPending: Bool { if case .pending = outcome { true } else { false } }

    /// Refuses the record: it will not be sent. `reason` must not contain personal data.
    public mutating func reject(_ reason: String) {
        outcome = .rejected(reason: reason)
    }

    /// Leaves the record out on purpose (no consent, filtered). Not an error.
    public mutating func skip(_ reason: String) {
        outcome = .skipped(reason: reason)
    }

    /// Marks the record prepared by a fused plan: `output` is its final rendering (nil for a
    /// record the plan refused), `notes` its ``outputNotes``, and `fields` what delivery reads
    /// of it (``isPrepared``). The outcome is left as it is: pending, for the sink, or refused.
    public mutating func markPrepared(output: [UInt8]?, notes: UInt64? = nil, fields: JSONObject) {
        self.output = output
        self.outputNotes = notes
        self.fields = fields
        isPrepared = true
    }

    /// Records that the destination (or the dry-run sink) accepted the record.
    public mutating func markSent() {
        outcome = .sent
    }
}

/// The fate of a record.
public enum Outcome: Sendable, Equatable {
    /// Still travelling through the pipeline.
    case pending
    /// Handed to the sink, which accepted it.
    case sent
    /// Refused, with a reason a person can act on.
    case rejected(reason: String)
    /// Deliberately not sent (for example: no consent).
    case skipped(reason: String)
}
