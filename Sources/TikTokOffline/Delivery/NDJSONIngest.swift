import ConversionEngine
import MappingKit
import Synchronization

/// Streams NDJSON events through an engine whose `send` stage stores into the outbox
/// (an ``OutboxSink``), keeping running totals another task can read for progress.
///
/// Input is read in chunks and processed in batches, so memory stays flat whatever the input
/// size. ``stop()`` ends the run after the batch in progress: everything read so far is
/// processed and stored, nothing half-done is left behind.
public final class NDJSONIngest: Sendable {
    /// What the run has seen so far.
    public struct Totals: Sendable, Hashable {
        /// Non-blank input lines.
        public var received = 0
        /// Lines that were not a JSON object (or too long); each has a reason in ``rejections``.
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
    }

    /// One refused line or record; `reason` holds no personal data.
    public struct Rejection: Sendable, Hashable {
        public var line: Int
        public var mapping: String?
        public var reason: String
    }

    public let engine: Engine
    public let batchSize: Int
    public let limits: JSONLimits
    private let state = Mutex<(totals: Totals, stopping: Bool)>((Totals(), false))

    public init(engine: Engine, batchSize: Int = 1_000, limits: JSONLimits = JSONLimits(maxDepth: 64, maxBytes: 1 << 20)) {
        self.engine = engine
        self.batchSize = batchSize
        self.limits = limits
    }

    public var totals: Totals { state.withLock { $0.totals } }

    /// Finish the batch in progress and return.
    public func stop() { state.withLock { $0.stopping = true } }

    /// Reads `input` (a file descriptor, left open) to its end or until ``stop()``.
    /// `onRejection` sees every refused line and record, in order.
    @discardableResult
    public func run(input: Int32, onRejection: (Rejection) -> Void = { _ in }) async throws -> Totals {
        var reader = NDJSONReader(fileDescriptor: input, maxLineBytes: limits.maxBytes)
        var batch = Batch()
        var lines = 0
        var rejections: [Rejection] = []

        func flush() async throws {
            if !batch.isEmpty { try await engine.process(&batch) }
            var delta = Totals()
            delta.records = batch.count
            for record in batch.records {
                switch record.outcome {
                case .sent: delta.accepted += 1
                case .skipped: delta.skipped += 1
                case .rejected(let reason):
                    delta.rejected += 1
                    rejections.append(Rejection(line: record.line, mapping: record.mapping, reason: reason))
                case .pending:
                    delta.rejected += 1
                    rejections.append(Rejection(line: record.line, mapping: record.mapping, reason: "not sent: no stage settled the record"))
                }
            }
            rejections.sort { $0.line < $1.line }
            rejections.forEach(onRejection)
            state.withLock { state in
                state.totals.received += lines
                state.totals.badLines += rejections.count(where: { $0.mapping == nil })
                state.totals.records += delta.records
                state.totals.accepted += delta.accepted
                state.totals.rejected += delta.rejected
                state.totals.skipped += delta.skipped
            }
            batch.removeAll()
            rejections.removeAll(keepingCapacity: true)
            lines = 0
        }

        while !state.withLock({ $0.stopping }), let line = try reader.next() {
            switch line {
            case .tooLong(let number, let bytes):
                lines += 1
                rejections.append(Rejection(line: number, reason: "event is \(bytes) bytes, over the limit of \(limits.maxBytes) bytes"))
            case .text(let number, let range):
                let parsed: Result<JSON, JSONParseError>? = reader.withBytes(range) { bytes in
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                    do throws(JSONParseError) {
                        return .success(try JSON.parse(bytes: bytes, limits: limits))
                    } catch {
                        return .failure(error)
                    }
                }
                guard let parsed else { continue }
                lines += 1
                switch parsed {
                case .failure(let error):
                    rejections.append(Rejection(line: number, reason: "invalid JSON at column \(error.column): \(error.message)"))
                case .success(let event):
                    do throws(EventError) {
                        try engine.route(event, line: number, into: &batch)
                    } catch {
                        rejections.append(Rejection(line: number, reason: error.message))
                    }
                }
            }
            if lines >= batchSize { try await flush() }
        }
        try await flush()
        return totals
    }
}

extension NDJSONIngest.Rejection {
    init(line: Int, reason: String) { self.init(line: line, mapping: nil, reason: reason) }
}
