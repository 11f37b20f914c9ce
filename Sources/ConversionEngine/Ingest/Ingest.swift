import JSONKit
import MappingKit
import Metrics
import Synchronization

/// The one path from raw events to settled records: parse, route, run the pipeline, tally.
/// `dry-run`, `run` and `serve` all consume it; only their sources and what they do with the
/// results differ.
///
/// ```
/// EventSource ──RawEvents──▶ parse ──▶ route ──▶ pipeline ──▶ IngestedBatch ──▶ consumer
/// (NDJSON, HTTP bodies)      (JSONDocument, in place)  (the send stage stores or prints)
/// ```
///
/// "Accepted" means what the pipeline's send stage made of a record: with an outbox sink, a
/// record is ``Outcome/sent`` only once it is committed, so a consumer that acknowledges after
/// ``process(_:observe:)`` returns acknowledges only what is stored.
public final class Ingest: Sendable {
    /// What the ingest has seen so far.
    public struct Totals: Sendable, Hashable {
        /// Events read (non-blank lines, events in requests).
        public var received = 0
        /// Events that were not a JSON object, too large, or unreadable rows; each is reported as a ``Rejection``.
        public var badLines = 0
        /// Records made: one per event and fired mapping.
        public var records = 0
        /// Records the send stage took (stored in the outbox, or printed by a dry run).
        public var accepted = 0
        /// Records refused by the pipeline, with a reason (never sent).
        public var rejected = 0
        /// Records left out on purpose (e.g. no consent).
        public var skipped = 0
        /// Readable events that fired no enabled mapping (and so made no record).
        public var unmapped = 0

        public init() {}

        /// True when an event or record was not sent as it came: unreadable, refused, or
        /// fired no mapping (what `--strict` reports with its own exit status). Records
        /// skipped on purpose (no consent) do not count.
        public var refusedAny: Bool { badLines > 0 || rejected > 0 || unmapped > 0 }

        /// The events among `received` that made no record and no error, given the records'
        /// lines in reading order: events that fired no mapping.
        static func unmapped(received: Int, errors: Int, recordLines: some Sequence<Int>) -> Int {
            var events = 0
            var last: Int?
            for line in recordLines where line != last {
                events += 1
                last = line
            }
            return received - errors - events
        }

        public mutating func add(_ other: Totals) {
            received += other.received
            badLines += other.badLines
            records += other.records
            accepted += other.accepted
            rejected += other.rejected
            skipped += other.skipped
            unmapped += other.unmapped
        }
    }

    /// One refused event or record; `reason` holds no personal data.
    public struct Rejection: Sendable, Hashable {
        /// The event's number in its source (a line number for NDJSON).
        public var line: Int
        /// The mapping whose record was refused; nil when the event itself is unusable.
        public var mapping: String?
        public var reason: String

        public init(line: Int, mapping: String?, reason: String) {
            self.line = line
            self.mapping = mapping
            self.reason = reason
        }
    }

    public let engine: Engine
    /// Bounds for each event.
    public let limits: JSONLimits
    private let state = Mutex<(totals: Totals, stopping: Bool)>((Totals(), false))
    private let receivedCounter = Counter(label: "events_received_total")
    private let acceptedCounter = Counter(label: "events_accepted_total")
    private let rejectedCounter = Counter(label: "events_rejected_total")

    public init(engine: Engine, limits: JSONLimits = JSONLimits(maxDepth: 64, maxBytes: 1 << 20)) {
        self.engine = engine
        self.limits = limits
    }

    /// Totals over every batch processed so far.
    public var totals: Totals { state.withLock { $0.totals } }

    /// Makes ``run(_:batchSize:parallelBatches:observe:consume:)`` finish the batches in progress and return.
    public func stop() { state.withLock { $0.stopping = true } }

    /// Parses, routes and runs one batch through the pipeline, and adds it to ``totals``.
    /// `observe` sees the batch after each stage. Throws only when the whole batch cannot
    /// proceed (for example: the outbox cannot be written); its records are then not accepted.
    public func process(_ events: RawEvents, observe: ((_ stage: String, _ batch: Batch) -> Void)? = nil) async throws -> IngestedBatch {
        var document = JSONDocument()
        return try await process(events, reusing: &document, observe: observe)
    }

    /// ``process(_:observe:)`` parsing into `document`, which keeps its grown storage for the
    /// next batch (a loop that processes batches one after another allocates it once).
    func process(
        _ events: RawEvents, reusing document: inout JSONDocument, observe: ((_ stage: String, _ batch: Batch) -> Void)?,
        turn: InputOrder.Turn? = nil
    ) async throws -> IngestedBatch {
        var result = IngestedBatch()
        result.batch.records.reserveCapacity(events.count + events.count / 4)
        result.totals.received = events.count
        // One time for the whole batch: fused plans prepare records with it while routing, and
        // the stages process the rest with it. Tracing (`observe`) needs every record's fields.
        let now = Engine.currentTime()
        let preparingAt = observe == nil ? now : nil
        events.storage.withUnsafeBytes { storage in
            for entry in events.entries {
                guard let range = entry.bytes else {
                    result.eventErrors.append(Rejection(
                        line: entry.number, mapping: nil,
                        reason: entry.problem ?? "event is \(entry.size) bytes, over the limit of \(limits.maxBytes) bytes"))
                    continue
                }
                do throws(JSONParseError) {
                    try document.parse(UnsafeRawBufferPointer(rebasing: storage[range]), limits: limits)
                } catch {
                    result.eventErrors.append(Rejection(
                        line: entry.number, mapping: nil,
                        reason: "invalid JSON at column \(error.column): \(Self.withoutInputText(error.message))"))
                    continue
                }
                do throws(EventError) {
                    try engine.route(document, line: entry.number, into: &result.batch, preparingAt: preparingAt)
                } catch {
                    result.eventErrors.append(Rejection(line: entry.number, mapping: nil, reason: error.message))
                }
            }
        }
        result.totals.badLines = result.eventErrors.count
        if !result.batch.isEmpty { try await engine.process(&result.batch, now: now, observe: observe, turn: turn) }
        result.totals.records = result.batch.count
        result.totals.unmapped = Totals.unmapped(
            received: events.count, errors: result.eventErrors.count, recordLines: result.batch.records.lazy.map(\.line))
        result.batch.records.withUnsafeBufferPointer { records in
            for record in records {
                switch record.outcome {
                case .sent: result.totals.accepted += 1
                case .skipped: result.totals.skipped += 1
                case .rejected, .pending: result.totals.rejected += 1
                }
            }
        }
        state.withLock { $0.totals.add(result.totals) }
        receivedCounter.increment(by: result.totals.received)
        acceptedCounter.increment(by: result.totals.accepted)
        rejectedCounter.increment(by: result.totals.rejected + result.totals.badLines)
        return result
    }

    /// Reads `source` to its end or until ``stop()``, handing each processed batch to
    /// `consume` in input order. Up to `parallelBatches` batches are processed at once (more
    /// keeps the cores busy while earlier batches wait for their outbox commit), and a sink
    /// that follows ``StageContext/turn`` stores them in input order; with one, each batch is
    /// processed inline and `observe` (allowed only then) sees it after every stage. Memory
    /// stays bounded whatever the input size.
    @discardableResult
    public func run(
        _ source: inout some EventSource,
        batchSize: Int,
        parallelBatches: Int = 1,
        observe: ((_ stage: String, _ batch: Batch) -> Void)? = nil,
        consume: (IngestedBatch) async throws -> Void
    ) async throws -> Totals {
        try await run(&source, batchSize: batchSize, parallelBatches: parallelBatches, observe: observe, prepare: { $0 }, consume: consume)
    }

    /// ``run(_:batchSize:parallelBatches:observe:consume:)`` with a step of the consumer's own
    /// done right after each batch is processed, in the same task: with several batches at once,
    /// `prepare` runs in parallel too (a dry run prints there), and `consume` gets its results
    /// in input order.
    @discardableResult
    public func run<Prepared: Sendable>(
        _ source: inout some EventSource,
        batchSize: Int,
        parallelBatches: Int = 1,
        observe: ((_ stage: String, _ batch: Batch) -> Void)? = nil,
        prepare: @escaping @Sendable (IngestedBatch) throws -> Prepared,
        consume: (Prepared) async throws -> Void
    ) async throws -> Totals {
        precondition(batchSize > 0 && parallelBatches > 0, "batch size and parallelism must be positive")
        precondition(observe == nil || parallelBatches == 1, "a stage observer needs batches processed one at a time")
        var inFlight: [Task<Prepared, any Error>] = []
        defer { inFlight.forEach { $0.cancel() } }
        // One batch at a time reuses its buffers; batches in flight each need their own.
        var events = RawEvents()
        var document = JSONDocument()
        let documents = DocumentPool()
        // Batches in flight reach the outbox in input order (see InputOrder).
        let order = InputOrder()
        while !state.withLock({ $0.stopping }) {
            if parallelBatches == 1 {
                events.removeAll()
            } else {
                events = RawEvents(reservingCount: batchSize, bytes: events.storage.count + events.storage.count / 8)
            }
            try source.read(upTo: batchSize, into: &events)
            if events.isEmpty { break }
            if parallelBatches == 1 {
                try await consume(try prepare(try await process(events, reusing: &document, observe: observe)))
                continue
            }
            let batch = events
            let turn = order.next()
            inFlight.append(Task {
                var document = documents.take()
                defer {
                    documents.give(document)
                    order.finish(turn)
                }
                return try prepare(try await self.process(batch, reusing: &document, observe: nil, turn: turn))
            })
            if inFlight.count >= parallelBatches { try await consume(try await inFlight.removeFirst().value) }
        }
        while !inFlight.isEmpty { try await consume(try await inFlight.removeFirst().value) }
        return totals
    }

    /// A parse message with any quoted input (a key the parser echoes) cut out: a broken
    /// event may hold personal data, and nothing printed or logged may repeat it.
    static func withoutInputText(_ message: String) -> String {
        guard let quote = message.firstIndex(of: "\"") else { return message }
        return String(message[..<quote].trimming(" "))
    }
}

/// Parse buffers that batches processed at once take and give back, so that each grows once
/// instead of once per batch.
private final class DocumentPool: Sendable {
    private let documents = Mutex<[JSONDocument]>([])

    func take() -> JSONDocument { documents.withLock { $0.popLast() } ?? JSONDocument() }
    func give(_ document: JSONDocument) { documents.withLock { $0.append(document) } }
}

/// One batch after ``Ingest/process(_:observe:)``: its records with their outcomes, the events
/// that made no record because they were unusable, and the tallies.
public struct IngestedBatch: Sendable {
    /// Every record made, in input order, settled by the pipeline.
    public var batch = Batch()
    /// Events refused before routing (over the size limit, not JSON, not an object), in input order.
    public var eventErrors: [Ingest.Rejection] = []
    public var totals = Ingest.Totals()
    /// Each record's trace after each stage, parallel to the batch's records, when an
    /// ``IngestQueue`` was asked to trace; empty otherwise.
    public var traces: [[String]] = []

    public init() {}

    /// Every refused event and record in input order: ``eventErrors`` and the records
    /// the pipeline rejected (or left unsettled).
    public var rejections: [Ingest.Rejection] {
        var all = eventErrors
        for record in batch.records {
            switch record.outcome {
            case .rejected(let reason): all.append(.init(line: record.line, mapping: record.mapping, reason: reason))
            case .pending: all.append(.init(line: record.line, mapping: record.mapping, reason: "not sent: no stage settled the record"))
            case .sent, .skipped: continue
            }
        }
        return all.sorted { $0.line < $1.line }
    }
}
