import JSONKit
import MappingKit

/// Writes the dry-run output, one JSON line per event and fired mapping:
///
/// ```
/// {"line":N,"mapping":"<name>","body":{...}}        the exact request body for that event alone
///                                                   (the destination's ``Destination/writePreview(of:into:)``)
/// {"line":N,"mapping":"<name>","error":"<reason>"}  the record was rejected
/// {"line":N,"mapping":"<name>","skipped":"<reason>"} the record was left out on purpose (consent)
/// {"line":N,"error":"<reason>"}                     the line is not a usable event
/// ```
///
/// Lines go into one reused buffer; call ``takeOutput()`` or let the owner flush it.
public struct DryRunPrinter: Sendable {
    /// Whose request bodies the printer shows.
    public let destination: any Destination
    public private(set) var buffer: [UInt8] = []

    public init(destination: any Destination, capacity: Int = 1 << 20) {
        self.destination = destination
        buffer.reserveCapacity(capacity)
    }

    /// The outcome of one record.
    public mutating func write(_ record: Record) {
        withUnsafePointer(to: record) { write($0) }
    }

    /// ``write(_:)`` of a record read where it lies (in a batch's array): a record lent to a
    /// mutating method is copied first, every reference in it retained and released.
    public mutating func write(_ record: UnsafePointer<Record>) {
        writePrefix(line: record.pointee.line)
        buffer.append(contentsOf: #","mapping":"#.utf8)
        JSON.serializeString(record.pointee.mapping, into: &buffer)
        switch record.pointee.outcome {
        case .sent:
            buffer.append(contentsOf: #","body":"#.utf8)
            destination.writePreview(of: record.pointee, into: &buffer)
        case .rejected(let reason):
            writeMember("error", reason)
        case .skipped(let reason):
            writeMember("skipped", reason)
        case .pending:
            writeMember("error", "the pipeline ended without sending this record (is 'send' in the pipeline?)")
        }
        buffer.append(contentsOf: "}\n".utf8)
    }

    /// A line that could not become an event.
    public mutating func writeLineError(line: Int, _ reason: String) {
        writePrefix(line: line)
        writeMember("error", reason)
        buffer.append(contentsOf: "}\n".utf8)
    }

    /// A record as it left `stage`, personal data hashed (for `--trace`).
    public mutating func writeTrace(_ record: Record, stage: String, schema: ActionSchema?) {
        writePrefix(line: record.line)
        buffer.append(contentsOf: #","mapping":"#.utf8)
        JSON.serializeString(record.mapping, into: &buffer)
        writeMember("stage", stage)
        buffer.append(contentsOf: #","record":"#.utf8)
        record.redacted(using: schema).serialize(into: &buffer)
        buffer.append(contentsOf: "}\n".utf8)
    }

    /// Hands over what was written and starts an empty buffer with the same capacity.
    public mutating func takeOutput() -> [UInt8] {
        let output = buffer
        buffer.removeAll(keepingCapacity: true)
        return output
    }

    /// Empties the buffer, keeping its storage.
    public mutating func clear() {
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func writePrefix(line: Int) {
        buffer.append(contentsOf: #"{"line":"#.utf8)
        buffer.append(contentsOf: String(line).utf8)
    }

    private mutating func writeMember(_ key: String, _ value: String) {
        buffer.append(UInt8(ascii: ","))
        JSON.serializeString(key, into: &buffer)
        buffer.append(UInt8(ascii: ":"))
        JSON.serializeString(value, into: &buffer)
    }
}
