/// Where ``Ingest/run(_:batchSize:parallelBatches:observe:consume:)`` reads events from: a
/// reader that cuts its input into ``RawEvents`` batches. A new input format is a new source,
/// not a new loop.
public protocol EventSource {
    /// Appends the next events, up to `count`, to `events` (which the caller has emptied);
    /// appends none at the end of the input.
    mutating func read(upTo count: Int, into events: inout RawEvents) throws
}

/// Newline-delimited JSON from a file descriptor (left open): one event per non-blank line,
/// numbered by line. Lines over the size limit are handed on as oversize entries.
public final class NDJSONSource: EventSource {
    private var reader: NDJSONReader

    public init(fileDescriptor: Int32, maxLineBytes: Int = 1 << 20) {
        reader = NDJSONReader(fileDescriptor: fileDescriptor, maxLineBytes: maxLineBytes)
    }

    public func read(upTo count: Int, into events: inout RawEvents) throws {
        while events.count < count, let line = try reader.next() {
            switch line {
            case .tooLong(let number, let size):
                events.appendOversize(number: number, size: size)
            case .text(let number, let range):
                reader.withBytes(range) { bytes in
                    guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return }
                    events.append(number: number, bytes)
                }
            }
        }
    }
}

/// How an input file is written: what ``source(fileDescriptor:maxEventBytes:)`` reads it with.
public enum InputFormat: Sendable, Hashable {
    /// One JSON event per line.
    case ndjson
    /// CSV with a header row (``CSVSource``), fields separated by `delimiter`.
    case csv(delimiter: UInt8)

    /// The format a file's name suggests: `.csv` is comma-separated, `.tsv` tab-separated,
    /// anything else (and standard input) NDJSON.
    public static func guess(fromPath path: String?) -> InputFormat {
        let lower = path?.lowercased() ?? ""
        if lower.hasSuffix(".csv") { return .csv(delimiter: UInt8(ascii: ",")) }
        if lower.hasSuffix(".tsv") { return .csv(delimiter: 0x09) }
        return .ndjson
    }

    /// The CSV field separator a name gives: one printable ASCII character other than a quote,
    /// or `tab` (also `\t`); nil for anything else.
    public static func csvDelimiter(named name: String) -> UInt8? {
        if ["tab", "\\t", "\t"].contains(name) { return 0x09 }
        guard name.utf8.count == 1, let byte = name.utf8.first, byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\"") else { return nil }
        return byte
    }

    /// A source reading this format from `fileDescriptor` (left open).
    public func source(fileDescriptor: Int32, maxEventBytes: Int) -> any EventSource {
        switch self {
        case .ndjson: NDJSONSource(fileDescriptor: fileDescriptor, maxLineBytes: maxEventBytes)
        case .csv(let delimiter): CSVSource(fileDescriptor: fileDescriptor, delimiter: delimiter, maxEventBytes: maxEventBytes)
        }
    }
}
