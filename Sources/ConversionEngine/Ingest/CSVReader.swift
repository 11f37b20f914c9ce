#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads RFC 4180 CSV in fixed-size chunks, one row at a time, holding at most one row plus
/// one chunk: quoted fields may hold the delimiter, doubled quotes and line breaks; rows end
/// with LF or CRLF; a UTF-8 byte-order mark at the start is skipped; blank lines are skipped.
///
/// A malformed row (a stray quote, text after a closing quote, a quoted field never closed,
/// a row over the size limit) is returned as ``Row/bad(line:reason:)`` and reading goes on
/// at the next line, so one bad row costs one row.
///
/// Written here rather than taken from a library: the CSV packages at hand either load the
/// whole input into memory or stop at the first malformed row, and this one must stream a
/// night's export in flat memory and explain each bad row by its line.
///
/// ```swift
/// var reader = CSVReader(fileDescriptor: 0, delimiter: UInt8(ascii: ","))
/// while let row = try reader.next() {
///     if case .fields(let line) = row { for field in reader.fields { reader.withBytes(field) { … } } }
/// }
/// ```
public struct CSVReader: ~Copyable {
    /// One field of the current row: its bytes in the reader's buffer, without the enclosing
    /// quotes. In a quoted field a quote is still written twice (``withUnquotedBytes(_:_:)`` undoes it).
    public struct Field: Sendable, Hashable {
        public var range: Range<Int>
        public var quoted: Bool
    }

    public enum Row: Sendable, Equatable {
        /// A row whose fields are in ``CSVReader/fields`` until the next call; `line` is the
        /// physical line it starts on, counted from 1.
        case fields(line: Int)
        /// A row that could not be read, and why (the reason holds none of its text).
        case bad(line: Int, reason: String)
    }

    public let delimiter: UInt8
    public let maxRowBytes: Int
    /// The fields of the row ``next()`` returned last.
    public private(set) var fields: [Field] = []

    private enum Source {
        case file(Int32)
        case memory
    }

    private let source: Source
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var line = 1
    private var atEOF = false
    private var atStart = true
    private static let chunk = 256 << 10
    private static let quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// Reads from `fileDescriptor` (not closed by the reader).
    public init(fileDescriptor: Int32, delimiter: UInt8 = UInt8(ascii: ","), maxRowBytes: Int = 1 << 20) {
        self.source = .file(fileDescriptor)
        self.delimiter = delimiter
        self.maxRowBytes = maxRowBytes
        buffer = .allocate(byteCount: maxRowBytes + Self.chunk + 1, alignment: 16)
    }

    /// Reads `bytes` (an upload held in memory).
    public init(bytes: some Collection<UInt8>, delimiter: UInt8 = UInt8(ascii: ","), maxRowBytes: Int = 1 << 20) {
        self.source = .memory
        self.delimiter = delimiter
        self.maxRowBytes = maxRowBytes
        buffer = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        _ = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]).initializeMemory(as: UInt8.self, from: bytes)
        end = bytes.count
        atEOF = true
    }

    deinit {
        buffer.deallocate()
    }

    /// Calls `body` with a field's bytes as they are in the input (quotes still doubled).
    public func withBytes<R>(_ field: Field, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[field.range]))
    }

    /// The next row, or nil at the end of the input. Throws ``ReadError`` if reading fails.
    public mutating func next() throws(ReadError) -> Row? {
        while true {
            if atStart {
                guard try skipByteOrderMark() else { continue }
            }
            if start == end {
                if atEOF { return nil }
                try fill()
                continue
            }
            switch scanRow() {
            case .row(let next):
                let first = line
                line += newlines(in: start..<next)
                let blank = fields.count == 1 && fields[0].range.isEmpty && !fields[0].quoted
                start = next
                if blank { continue }
                return .fields(line: first)
            case .bad(let reason, let resume):
                let first = line
                let next = resume ?? endOfLine(from: start)
                guard let next else {
                    if end - start > maxRowBytes { return skipOverlongLine(reason: reason) }
                    try fill()
                    continue
                }
                line += newlines(in: start..<next)
                start = next
                fields.removeAll(keepingCapacity: true)
                return .bad(line: first, reason: reason)
            case .needMore:
                if end - start > maxRowBytes {
                    return skipOverlongLine(reason: "the row is over \(maxRowBytes) bytes (or a quote opened in it is never closed)")
                }
                try fill()
            }
        }
    }

    // MARK: Scanning one row

    private enum Scan {
        /// A whole row; the next one starts at the index.
        case row(Int)
        /// A malformed row; reading resumes at the index (nil: after the current line's end).
        case bad(String, resume: Int?)
        /// The row goes on past what is buffered.
        case needMore
    }

    /// Splits the row at `start` into ``fields``, without moving `start`.
    private mutating func scanRow() -> Scan {
        fields.removeAll(keepingCapacity: true)
        var position = start
        while true {
            // At the start of a field.
            if position < end, buffer[position] == Self.quote {
                let opened = position
                position += 1
                var closing: Int?
                while closing == nil {
                    guard let found = find(Self.quote, from: position) else {
                        if atEOF {
                            return .bad("field \(fields.count + 1) opens a quote that is never closed", resume: endOfLine(from: opened))
                        }
                        return .needMore
                    }
                    if found + 1 < end, buffer[found + 1] == Self.quote {
                        position = found + 2  // a doubled quote inside the field
                    } else if found + 1 == end, !atEOF {
                        return .needMore
                    } else {
                        closing = found
                    }
                }
                fields.append(Field(range: opened + 1..<closing!, quoted: true))
                position = closing! + 1
                // After the closing quote: a delimiter, the end of the row, or the end of input.
                if position == end {
                    if atEOF { return .row(end) }
                    return .needMore
                }
                let byte = buffer[position]
                if byte == delimiter {
                    position += 1
                    continue
                }
                if byte == Self.newline { return .row(position + 1) }
                if byte == Self.carriageReturn {
                    if position + 1 == end { return atEOF ? .row(end) : .needMore }
                    if buffer[position + 1] == Self.newline { return .row(position + 2) }
                }
                return .bad("text follows the closing quote of field \(fields.count) (a stray quote?)", resume: nil)
            }
            // An unquoted field: up to the delimiter or the end of the line.
            let fieldStart = position
            while position < end {
                let byte = buffer[position]
                if byte == delimiter || byte == Self.newline { break }
                if byte == Self.quote {
                    return .bad("field \(fields.count + 1) has a stray quote (quote the whole field and double the quotes in it)", resume: nil)
                }
                position += 1
            }
            if position == end {
                guard atEOF else { return .needMore }
                fields.append(Field(range: fieldStart..<trimmingCarriageReturn(fieldStart, end), quoted: false))
                return .row(end)
            }
            if buffer[position] == delimiter {
                fields.append(Field(range: fieldStart..<position, quoted: false))
                position += 1
                if position == end, atEOF {
                    fields.append(Field(range: position..<position, quoted: false))
                    return .row(end)
                }
                continue
            }
            fields.append(Field(range: fieldStart..<trimmingCarriageReturn(fieldStart, position), quoted: false))
            return .row(position + 1)
        }
    }

    private func trimmingCarriageReturn(_ from: Int, _ to: Int) -> Int {
        to > from && buffer[to - 1] == Self.carriageReturn ? to - 1 : to
    }

    private func find(_ byte: UInt8, from position: Int) -> Int? {
        guard position < end, let base = buffer.baseAddress else { return nil }
        guard let found = memchr(base + position, Int32(byte), end - position) else { return nil }
        return base.distance(to: found)
    }

    /// Just past the next line feed from `position`; at the end of input, the end; nil when
    /// the line goes on past what is buffered.
    private func endOfLine(from position: Int) -> Int? {
        if let newline = find(Self.newline, from: position) { return newline + 1 }
        return atEOF ? end : nil
    }

    private func newlines(in range: Range<Int>) -> Int {
        var count = 0
        var position = range.lowerBound
        while position < range.upperBound, let found = find(Self.newline, from: position), found < range.upperBound {
            count += 1
            position = found + 1
        }
        return count
    }

    // MARK: Input

    /// Skips `EF BB BF` at the very start; false when more input is needed to tell.
    private mutating func skipByteOrderMark() throws(ReadError) -> Bool {
        if end - start < 3 && !atEOF {
            try fill()
            return false
        }
        atStart = false
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF { start += 3 }
        return true
    }

    /// Moves the unread bytes to the front and reads one more chunk.
    private mutating func fill() throws(ReadError) {
        guard case .file(let descriptor) = source else {
            atEOF = true
            return
        }
        if start > 0 {
            let count = end - start
            if count > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: count) }
            end = count
            start = 0
        }
        let room = min(buffer.count - end, Self.chunk)
        guard room > 0 else { return }
        let n = read(descriptor, buffer.baseAddress! + end, room)
        if n < 0 {
            if errno == EINTR { return }
            throw ReadError(errno: errno)
        }
        if n == 0 { atEOF = true } else { end += n }
    }

    /// Drops everything up to the next line feed, for a row too long to hold.
    private mutating func skipOverlongLine(reason: String) -> Row {
        let first = line
        line += 1
        while true {
            if let newline = find(Self.newline, from: start) {
                start = newline + 1
                break
            }
            start = end
            if atEOF { break }
            guard (try? fill()) != nil else { break }
        }
        fields.removeAll(keepingCapacity: true)
        return .bad(line: first, reason: reason)
    }
}
