import JSONKit
import MappingKit

/// CSV with a header row: each later row becomes one event object keyed by the header's
/// names, its values as text (the actions' schema turns numeric text into numbers), so a
/// mapping reads a column as `$.Email` or `$['Order Total']`. Empty cells are left out of the
/// object (an empty cell is no value), so `$.Phone` of a row without a phone is missing, as
/// it would be in an NDJSON event that does not have it.
///
/// Events are numbered by the physical line their row starts on (the header is line 1). A
/// row with more or fewer fields than the header, malformed quoting, text that is not UTF-8,
/// or over the size limit is handed on as a refused entry naming the problem, and reading
/// goes on. A header that is missing, has an empty or repeated name, or is not UTF-8 ends
/// the input with ``CSVHeaderError``: no row could be read without it.
public final class CSVSource: EventSource {
    private var reader: CSVReader
    private let maxEventBytes: Int
    /// Each column's name as a JSON string with its colon, `"Email":`, written once.
    private var keys: [[UInt8]] = []
    private var names: [String] = []
    private var object: [UInt8] = []

    public init(fileDescriptor: Int32, delimiter: UInt8 = UInt8(ascii: ","), maxEventBytes: Int = 1 << 20) {
        reader = CSVReader(fileDescriptor: fileDescriptor, delimiter: delimiter, maxRowBytes: maxEventBytes)
        self.maxEventBytes = maxEventBytes
    }

    /// Reads an upload held in memory.
    public init(bytes: some Collection<UInt8>, delimiter: UInt8 = UInt8(ascii: ","), maxEventBytes: Int = 1 << 20) {
        reader = CSVReader(bytes: bytes, delimiter: delimiter, maxRowBytes: maxEventBytes)
        self.maxEventBytes = maxEventBytes
    }

    /// The header's column names (empty until the first ``read(upTo:into:)``).
    public var columns: [String] { names }

    public func read(upTo count: Int, into events: inout RawEvents) throws {
        if keys.isEmpty { try readHeader() }
        while events.count < count, let row = try reader.next() {
            switch row {
            case .bad(let line, let reason):
                events.appendRefused(number: line, reason: "CSV row: \(reason)")
            case .fields(let line):
                if let problem = writeObject() {
                    events.appendRefused(number: line, reason: "CSV row: \(problem)")
                } else if object.count > maxEventBytes {
                    // Named here: the JSON reader's limit, which Ingest would name, is another one.
                    events.appendRefused(number: line, reason: "CSV row: the event it makes is \(object.count) bytes, over the limit of \(maxEventBytes) bytes")
                } else {
                    events.append(number: line, object)
                }
            }
        }
    }

    private func readHeader() throws {
        guard let row = try reader.next() else { throw CSVHeaderError("the input is empty: a CSV file starts with a header row naming its columns") }
        guard case .fields = row else {
            if case .bad(_, let reason) = row { throw CSVHeaderError("the header row cannot be read: \(reason)") }
            return
        }
        var seen = Set<String>()
        for (index, field) in reader.fields.enumerated() {
            let name = reader.withBytes(field) { bytes in String(validating: Self.unquoted(bytes, quoted: field.quoted), as: UTF8.self) }
            guard let name else { throw CSVHeaderError("column \(index + 1) of the header is not UTF-8 text") }
            let trimmed = String(name.trimming(" \t"))
            guard !trimmed.isEmpty else { throw CSVHeaderError("column \(index + 1) of the header has no name") }
            guard seen.insert(trimmed).inserted else { throw CSVHeaderError("the header names column \"\(trimmed)\" twice") }
            var key: [UInt8] = []
            JSON.serializeString(trimmed, into: &key)
            key.append(UInt8(ascii: ":"))
            keys.append(key)
            names.append(trimmed)
        }
    }

    /// Writes the current row as a JSON object into `object`; the problem when it cannot.
    private func writeObject() -> String? {
        let fields = reader.fields
        guard fields.count == keys.count else {
            return "it has \(fields.count) field\(fields.count == 1 ? "" : "s"), the header names \(keys.count) columns"
        }
        object.removeAll(keepingCapacity: true)
        object.append(UInt8(ascii: "{"))
        var first = true
        for (index, field) in fields.enumerated() where !field.range.isEmpty {
            let valid = reader.withBytes(field) { bytes -> Bool in
                guard Self.isUTF8(bytes) else { return false }
                if !first { object.append(UInt8(ascii: ",")) }
                first = false
                object.append(contentsOf: keys[index])
                Self.writeString(bytes, quoted: field.quoted, into: &object)
                return true
            }
            if !valid { return "the value in column \"\(names[index])\" is not UTF-8 text" }
        }
        object.append(UInt8(ascii: "}"))
        return nil
    }

    /// Writes `bytes` as a JSON string, undoing a quoted field's doubled quotes.
    private static func writeString(_ bytes: UnsafeRawBufferPointer, quoted: Bool, into out: inout [UInt8]) {
        guard quoted, bytes.contains(UInt8(ascii: "\"")) else {
            JSON.serializeString(utf8: bytes, into: &out)
            return
        }
        // Rare: a quoted field with quotes in it.
        unquoted(bytes, quoted: true).withUnsafeBytes { JSON.serializeString(utf8: $0, into: &out) }
    }

    static func unquoted(_ bytes: UnsafeRawBufferPointer, quoted: Bool) -> [UInt8] {
        guard quoted else { return Array(bytes) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            out.append(bytes[index])
            if bytes[index] == UInt8(ascii: "\""), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") { index += 1 }
            index += 1
        }
        return out
    }

    /// Whether `bytes` are UTF-8, checked byte by byte only past the ASCII fast path.
    static func isUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.allSatisfy({ $0 < 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }
}

/// The CSV input has no usable header row; nothing in it can be read.
public struct CSVHeaderError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "CSV header: \(message)" }
}
