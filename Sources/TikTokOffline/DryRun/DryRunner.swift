import ConversionEngine
import Foundation
import MappingKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams NDJSON events through an engine and writes what TikTok would receive (see
/// ``DryRunPrinter`` for the line format). Memory stays flat whatever the input size: input
/// is read in chunks, events are processed in small batches, output goes through one buffer.
public struct DryRunner: Sendable {
    public let engine: Engine
    public let builder: TikTokRequestBuilder
    /// Also write each record as it left each stage (personal data hashed).
    public var trace: Bool
    /// Events per pipeline run. Small enough that an event's tree is still in the CPU's cache
    /// when the stages and the printer reach its records.
    public var batchSize: Int
    /// Bounds for each event.
    public var limits: JSONLimits

    public init(engine: Engine, builder: TikTokRequestBuilder, trace: Bool = false, batchSize: Int = 64,
                limits: JSONLimits = JSONLimits(maxDepth: 64, maxBytes: 1 << 20)) {
        self.engine = engine
        self.builder = builder
        self.trace = trace
        self.batchSize = batchSize
        self.limits = limits
    }

    /// What a run saw.
    public struct Summary: Sendable, Equatable {
        public var lines = 0
        public var events = 0
        public var badLines = 0
        public var sent = 0
        public var rejected = 0
        public var skipped = 0
    }

    /// Reads `input` to its end and writes to `output` (file descriptors, left open).
    @discardableResult
    public func run(input: Int32, output: Int32) async throws -> Summary {
        var reader = NDJSONReader(fileDescriptor: input, maxLineBytes: limits.maxBytes)
        // One document, reused: parsing an event allocates nothing once it has grown.
        var document = JSONDocument()
        var printer = DryRunPrinter(builder: builder)
        var batch = Batch()
        var lineErrors: [(line: Int, reason: String)] = []
        var summary = Summary()
        var eventsInBatch = 0
        let schemas = engine.actions

        func flushBatch(final: Bool) async throws {
            if trace {
                var wasPending = Array(repeating: true, count: batch.records.count)
                let observe: (String, Batch) -> Void = { stage, batch in
                    for (i, record) in batch.records.enumerated() where wasPending[i] {
                        printer.writeTrace(record, stage: stage, schema: schemas[record.action])
                        wasPending[i] = record.isPending
                    }
                }
                try await engine.process(&batch, observe: observe)
            } else {
                try await engine.process(&batch)
            }
            var e = 0
            // Borrowed through a buffer pointer: iterating the array would copy every record.
            batch.records.withUnsafeBufferPointer { records in
                for i in records.indices {
                    while e < lineErrors.count, lineErrors[e].line < records[i].line {
                        printer.writeLineError(line: lineErrors[e].line, lineErrors[e].reason)
                        e += 1
                    }
                    printer.write(records[i])
                    switch records[i].outcome {
                    case .sent: summary.sent += 1
                    case .rejected, .pending: summary.rejected += 1
                    case .skipped: summary.skipped += 1
                    }
                }
            }
            for error in lineErrors[e...] { printer.writeLineError(line: error.line, error.reason) }
            batch.removeAll()
            lineErrors.removeAll(keepingCapacity: true)
            eventsInBatch = 0
            if final || printer.buffer.count >= Self.outputChunk {
                try Self.write(printer.buffer, to: output)
                printer.clear()
            }
        }

        while let line = try reader.next() {
            summary.lines += 1
            switch line {
            case .tooLong(let number, let bytes):
                summary.badLines += 1
                lineErrors.append((number, "event is \(bytes) bytes, over the limit of \(limits.maxBytes) bytes"))
            case .text(let number, let range):
                let parsed: Result<Void, JSONParseError>? = reader.withBytes(range) { bytes in
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                    do throws(JSONParseError) {
                        return .success(try document.parse(bytes, limits: limits))
                    } catch {
                        return .failure(error)
                    }
                }
                switch parsed {
                case nil: continue
                case .failure(let error)?:
                    summary.badLines += 1
                    lineErrors.append((number, "invalid JSON at column \(error.column): \(Self.withoutInputText(error.message))"))
                case .success?:
                    do throws(EventError) {
                        try engine.route(document, line: number, into: &batch)
                        summary.events += 1
                    } catch {
                        summary.badLines += 1
                        lineErrors.append((number, error.message))
                    }
                }
            }
            eventsInBatch += 1
            if eventsInBatch >= batchSize { try await flushBatch(final: false) }
        }
        try await flushBatch(final: true)
        return summary
    }

    /// Output is written once this much has collected (the printer's buffer holds 1 MiB).
    static let outputChunk = 512 * 1024

    /// A parse message with any quoted input (a key the parser echoes) cut out: a broken
    /// line may hold personal data, and the output must never repeat it.
    static func withoutInputText(_ message: String) -> String {
        guard let quote = message.firstIndex(of: "\"") else { return message }
        return message[..<quote].trimmingCharacters(in: .whitespaces)
    }

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
