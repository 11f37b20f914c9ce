import ConversionEngine
import Foundation
import JSONKit
import MappingKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams events (NDJSON, or CSV rows) through an engine and writes what TikTok would receive (see
/// ``DryRunPrinter`` for the line format). Memory stays flat whatever the input size: input
/// is read in chunks, events are processed in small batches, output goes through one buffer.
/// With ``threads`` above one, batches are processed and printed on several cores at once and
/// written in input order: the output is the same byte for byte.
public struct DryRunner: Sendable {
    public let engine: Engine
    /// Whose request bodies are shown (``Destination/writePreview(of:into:)``).
    public let destination: any Destination
    /// Also write each record as it left each stage (personal data hashed).
    public var trace: Bool
    /// Events per pipeline run. Small enough that an event's tree is still in the CPU's cache
    /// when the stages and the printer reach its records.
    public var batchSize: Int
    /// Bounds for each event.
    public var limits: JSONLimits
    /// Batches processed at once (one: inline, on the calling task). `trace` needs one.
    public var threads: Int

    public init(engine: Engine, destination: any Destination, trace: Bool = false, batchSize: Int = 64,
                limits: JSONLimits = JSONLimits(maxDepth: 64, maxBytes: 1 << 20), threads: Int = 1) {
        precondition(threads > 0, "threads must be positive")
        self.engine = engine
        self.destination = destination
        self.trace = trace
        self.batchSize = batchSize
        self.limits = limits
        self.threads = trace ? 1 : threads
    }

    /// Reads `input` to its end and writes to `output` (file descriptors, left open). In the
    /// totals, `accepted` counts the records shown as sent.
    @discardableResult
    public func run(input: Int32, format: InputFormat = .ndjson, output: Int32) async throws -> Ingest.Totals {
        var none: MatchQuality?
        return try await run(input: input, format: format, output: output, matchQuality: &none)
    }

    /// ``run(input:format:output:)``, counting every record into `matchQuality` when it is set.
    @discardableResult
    public func run(input: Int32, format: InputFormat = .ndjson, output: Int32, matchQuality: inout MatchQuality?) async throws -> Ingest.Totals {
        var source = format.source(fileDescriptor: input, maxEventBytes: limits.maxBytes)
        let ingest = Ingest(engine: engine, limits: limits)
        var printer = DryRunPrinter(destination: destination)
        let schemas = engine.actions
        var wasPending: [Bool] = []
        let observe: ((String, Batch) -> Void)? = trace ? { stage, batch in
            if wasPending.count != batch.count { wasPending = Array(repeating: true, count: batch.count) }
            for (i, record) in batch.records.enumerated() where wasPending[i] {
                printer.writeTrace(record, stage: stage, schema: schemas[record.action])
                wasPending[i] = record.isPending
            }
        } : nil
        if threads > 1 { return try await runInParallel(ingest, &source, output: output, matchQuality: &matchQuality) }
        let totals = try await ingest.run(&source, batchSize: batchSize, observe: observe) { ingested in
            wasPending.removeAll(keepingCapacity: true)
            Self.print(ingested, into: &printer, matchQuality: &matchQuality)
            if printer.buffer.count >= Self.outputChunk {
                try Self.write(printer.buffer, to: output)
                printer.clear()
            }
        }
        try Self.write(printer.buffer, to: output)
        return totals
    }

    /// Each batch processed and printed in a task of its own, ``threads`` at once; the lines
    /// written in input order.
    private func runInParallel(
        _ ingest: Ingest, _ source: inout some EventSource, output: Int32, matchQuality: inout MatchQuality?
    ) async throws -> Ingest.Totals {
        let destination = destination
        let counting = matchQuality != nil
        // Larger batches than inline: each task's fixed costs (its parse buffers) spread over more events.
        let totals = try await ingest.run(&source, batchSize: batchSize * 4, parallelBatches: threads, prepare: { ingested in
            var printer = DryRunPrinter(destination: destination, capacity: 256 << 10)
            var quality: MatchQuality? = counting ? MatchQuality() : nil
            Self.print(ingested, into: &printer, matchQuality: &quality)
            return (lines: printer.buffer, quality: quality)
        }) { printed in
            // A batch's lines are large enough (≈ 150 KB) to write as they are.
            try Self.write(printed.lines, to: output)
            if let quality = printed.quality { matchQuality?.add(quality) }
        }
        return totals
    }

    /// One batch's lines: its records and its unusable events, in input order.
    private static func print(_ ingested: IngestedBatch, into printer: inout DryRunPrinter, matchQuality: inout MatchQuality?) {
        var e = 0
        let errors = ingested.eventErrors
        // Read through a buffer pointer: iterating the array would copy every record.
        ingested.batch.records.withUnsafeBufferPointer { records in
            for i in records.indices {
                while e < errors.count, errors[e].line < records[i].line {
                    printer.writeLineError(line: errors[e].line, errors[e].reason)
                    e += 1
                }
                printer.write(records.baseAddress! + i)
            }
        }
        for error in errors[e...] { printer.writeLineError(line: error.line, error.reason) }
        matchQuality?.add(ingested.batch.records)
    }

    /// Output is written once this much has collected (the printer's buffer holds 1 MiB).
    static let outputChunk = 512 * 1024

    static func write(_ bytes: [UInt8], to fd: Int32) throws {
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(errno: errno)
                }
                offset += n
            }
        }
    }
}

private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, pointer, count)
    #elseif canImport(Musl)
    Musl.write(fd, pointer, count)
    #else
    Darwin.write(fd, pointer, count)
    #endif
}

/// Writing the output failed (for example: the reader closed the pipe).
public struct WriteError: Error, Sendable, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "write failed: \(String(cString: strerror(errno)))" }
}
