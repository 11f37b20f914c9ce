import ConversionEngine
import MappingKit
import Metrics
import Synchronization

/// Streams NDJSON events through an engine whose `send` stage stores into the outbox
/// (an ``OutboxSink``), keeping running totals another task can read for progress.
///
/// The input is read in chunks and cut into batches of raw lines; up to ``parallelBatches``
/// batches are parsed, routed, run through the pipeline and stored at once, and their results
/// are taken in input order. Memory stays bounded whatever the input size. ``stop()`` ends the
/// run after the batches in progress: everything read so far is processed and stored.
public final class NDJSONIngest: Sendable {
    /// What the run has seen so far.
    public struct Totals: Sendable, Hashable {
        /// Non-blank input lines.
        public var received = 0
        /// Lines that were not a JSON object (or too long); each is reported as a ``Rejection``.
        public var badLines = 0
        /// Records made: one per event and fired mapping.
        public var records = 0
        /// Records stored in the outbox.
        public var accepted = 0
        /// Records refused by the pipeline, with a reason (never sent).
        public var rejected = 0
        /// Records left out on purpose (e.g. no consent).
        public var skipped = 0

        public init() {}

        mutating func add(_ other: Totals) {
            received += other.received
            badLines += other.badLines
            records += other.records
            accepted += other.accepted
            rejected += other.rejected
            skipped += other.skipped
        }
    }

    /// One refused line or record; `reason` holds no personal data.
    public struct Rejection: Sendable, Hashable {
        public var line: Int
        /// The mapping whose record was refused; nil when the line itself is unusable.
        public var mapping: String?
        public var reason: String
    }

    public let engine: Engine
    public let batchSize: Int
    /// Batches in the pipeline at once. The default, 4 whatever the core count, keeps the
    /// cores busy while earlier batches wait for their outbox commit to reach the disk.
    public let parallelBatches: Int
    public let limits: JSONLimits
    private let state = Mutex<(totals: Totals, stopping: Bool)>((Totals(), false))
    private let receivedCounter = Counter(label: "events_received_total")
    private let acceptedCounter = Counter(label: "events_accepted_total")
    private let rejectedCounter = Counter(label: "events_rejected_total")

    public init(
        engine: Engine,
        batchSize: Int = 1_000,
        parallelBatches: Int = 4,
        limits: JSONLimits = JSONLimits(maxDepth: 64, maxBytes: 1 << 20)
    ) {
        precondition(batchSize > 0 && parallelBatches > 0, "batch size and parallelism must be positive")
        self.engine = engine
        self.batchSize = batchSize
        self.parallelBatches = parallelBatches
        self.limits = limits
    }

    public var totals: Totals { state.withLock { $0.totals } }

    /// Finish the batches in progress and return.
    public func stop() { state.withLock { $0.stopping = true } }

    /// Reads `input` (a file descriptor, left open) to its end or until ``stop()``.
    /// `onRejection` sees every refused line and record, in input order.
    @discardableResult
    public func run(input: Int32, onRejection: (Rejection) -> Void = { _ in }) async throws -> Totals {
        var reader = NDJSONReader(fileDescriptor: input, maxLineBytes: limits.maxBytes)
        var inFlight: [Task<ProcessedBatch, any Error>] = []

        func settleOldest() async throws {
            let processed = try await inFlight.removeFirst().value
            processed.rejections.forEach(onRejection)
            state.withLock { $0.totals.add(processed.totals) }
            receivedCounter.increment(by: processed.totals.received)
            acceptedCounter.increment(by: processed.totals.accepted)
            rejectedCounter.increment(by: processed.totals.rejected + processed.totals.badLines)
        }

        var lastBatchBytes = 0
        while !state.withLock({ $0.stopping }) {
            let lines = try RawLines.read(batchSize, from: &reader, expectedBytes: lastBatchBytes)
            if lines.isEmpty { break }
            lastBatchBytes = lines.storage.count
            let (engine, limits) = (self.engine, self.limits)
            inFlight.append(Task { try await Self.process(lines, engine: engine, limits: limits) })
            if inFlight.count >= parallelBatches { try await settleOldest() }
        }
        while !inFlight.isEmpty { try await settleOldest() }
        return totals
    }

    private struct ProcessedBatch: Sendable {
        var totals = Totals()
        var rejections: [Rejection] = []
    }

    /// Parses, routes and runs one batch through the pipeline, and tallies it.
    private static func process(_ lines: RawLines, engine: Engine, limits: JSONLimits) async throws -> ProcessedBatch {
        var processed = ProcessedBatch()
        var batch = Batch()
        var document = JSONDocument()
        processed.totals.received = lines.count
        for line in lines.lines {
            guard let range = line.bytes else {
                processed.rejections.append(Rejection(
                    line: line.number, mapping: nil,
                    reason: "event is \(line.size) bytes, over the limit of \(limits.maxBytes) bytes"
                ))
                continue
            }
            let parsed = lines.storage.withUnsafeBytes { storage in
                Result { () throws(JSONParseError) in
                    try document.parse(UnsafeRawBufferPointer(rebasing: storage[range]), limits: limits)
                }
            }
            switch parsed {
            case .failure(let error):
                processed.rejections.append(Rejection(
                    line: line.number, mapping: nil, reason: "invalid JSON at column \(error.column): \(error.message)"
                ))
            case .success:
                do throws(EventError) {
                    try engine.route(document, line: line.number, into: &batch)
                } catch {
                    processed.rejections.append(Rejection(line: line.number, mapping: nil, reason: error.message))
                }
            }
        }
        processed.totals.badLines = processed.rejections.count
        if !batch.isEmpty { try await engine.process(&batch) }
        processed.totals.records = batch.count
        for record in batch.records {
            switch record.outcome {
            case .sent: processed.totals.accepted += 1
            case .skipped: processed.totals.skipped += 1
            case .rejected(let reason):
                processed.totals.rejected += 1
                processed.rejections.append(Rejection(line: record.line, mapping: record.mapping, reason: reason))
            case .pending:
                processed.totals.rejected += 1
                processed.rejections.append(Rejection(
                    line: record.line, mapping: record.mapping, reason: "not sent: no stage settled the record"
                ))
            }
        }
        processed.rejections.sort { $0.line < $1.line }
        return processed
    }
}

/// A batch of non-blank input lines copied out of the reader's buffer, so another task can parse them.
private struct RawLines: Sendable {
    struct Line: Sendable {
        var number: Int
        /// Where the line's bytes are in ``storage``; nil for a line over the size limit.
        var bytes: Range<Int>?
        var size: Int
    }

    var storage: [UInt8] = []
    var lines: [Line] = []

    var count: Int { lines.count }
    var isEmpty: Bool { lines.isEmpty }

    /// Up to `count` lines. `expectedBytes` (the previous batch's size) is reserved up front,
    /// with some room to spare, so the storage is not regrown and copied as lines arrive.
    static func read(_ count: Int, from reader: inout NDJSONReader, expectedBytes: Int) throws -> RawLines {
        var batch = RawLines()
        batch.lines.reserveCapacity(count)
        batch.storage.reserveCapacity(expectedBytes + expectedBytes / 8)
        while batch.lines.count < count, let line = try reader.next() {
            switch line {
            case .tooLong(let number, let size):
                batch.lines.append(Line(number: number, bytes: nil, size: size))
            case .text(let number, let range):
                reader.withBytes(range) { bytes in
                    guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return }
                    let start = batch.storage.count
                    batch.storage.append(contentsOf: bytes)
                    batch.lines.append(Line(number: number, bytes: start..<batch.storage.count, size: bytes.count))
                }
            }
        }
        return batch
    }
}
