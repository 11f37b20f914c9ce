/// Where a destination's `send` stage hands the records it prepared, whatever the destination.
///
/// A record is *prepared* when it is pending and has its ``Record/output``: the exact bytes
/// its destination sends for it (e.g. one element of a request's list). The sink takes them
/// (stores them in an outbox, counts them, drops them in a dry run) and settles each:
/// ``Record/markSent()`` once taken, ``Record/reject(_:)`` with a reason when refused; one it
/// did not take stays pending. It throws only when the whole batch cannot be taken (the
/// outbox cannot be written): then no record is reported taken.
///
/// A sink names no destination: where a record goes, and under which key, is the
/// destination's to say, through the ``RecordAddressing`` it passes along, so one sink
/// serves every destination. Implementations:
/// - mark a record sent only once it is taken for good (stored, for an outbox);
/// - take batches handed over at once in input order (``StageContext/turn``) when order matters;
/// - read ``Record/output`` (and ``Record/fields`` if it must), never ``Record/event``: the send
///   stage declares that it needs no part of the event, so the event may be gone.
public protocol EventSink: Sendable {
    func deliver(_ batch: inout Batch, addressing: any RecordAddressing, context: StageContext) async throws

    /// The sink keeps records by their key (an outbox): the send stage gives a record without
    /// an id a random one before preparing it, so the bytes sent, their retries and the key
    /// they are stored under all carry the same id. False by default.
    var needsEventIDs: Bool { get }
}

extension EventSink {
    public var needsEventIDs: Bool { false }
}

/// How a destination addresses its prepared records: which queue each goes to, and its
/// idempotency key there.
///
/// A *queue* is the destination's own name for records that may travel in one request and
/// never with others (e.g. one account and one set of request-level options); it is what an outbox stores them under, so it must be stable across runs and
/// begin with something that names the destination. A key is stable for the same event (e.g.
/// the pair the destination deduplicates on), so storing it twice is a no-op.
public protocol RecordAddressing: Sendable {
    /// The prepared records of `batch` that can be stored, grouped by queue in the order each
    /// queue first appears, each group in record order. A prepared record left out (it has no
    /// id to key it by) stays pending.
    func groups(of batch: borrowing Batch) -> [RecordGroup]
}

/// Prepared records of one batch bound for one queue (``RecordAddressing``).
public struct RecordGroup: Sendable, Hashable {
    public var queue: String
    /// Indices into the batch's records, in order.
    public var records: [Int]
    /// Each record's key, in the same order.
    public var keys: [String]

    public init(queue: String, records: [Int] = [], keys: [String] = []) {
        precondition(records.count == keys.count, "a key for each record")
        self.queue = queue
        self.records = records
        self.keys = keys
    }
}

/// Accepts every prepared record without sending or storing anything: the records keep their
/// ``Record/output`` for the caller to print or inspect.
public struct DryRunSink: EventSink {
    public init() {}

    public func deliver(_ batch: inout Batch, addressing: any RecordAddressing, context: StageContext) async throws {
        batch.forEachPending { record in
            if record.output != nil { record.markSent() }
        }
    }
}
