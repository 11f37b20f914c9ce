#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads newline-delimited input from a file descriptor in fixed-size chunks, one line at a
/// time, without ever holding more than one line plus one chunk in memory.
///
/// ```swift
/// var reader = NDJSONReader(fileDescriptor: 0)
/// while let line = try reader.next() {
///     switch line {
///     case .text(let number, let range): reader.withBytes(range) { bytes in ... }
///     case .tooLong(let number, let size): ...
///     }
/// }
/// ```
public struct NDJSONReader: ~Copyable {
    /// One physical line. Numbers count from 1.
    public enum Line: Sendable, Equatable {
        /// A line's bytes (without `\n` or a trailing `\r`), valid until the next call to ``next()``.
        case text(number: Int, range: Range<Int>)
        /// A line longer than the limit; its bytes were skipped.
        case tooLong(number: Int, bytes: Int)
    }

    public let maxLineBytes: Int
    private let fileDescriptor: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var scanned = 0
    private var lineNumber = 0
    private var atEOF = false
    private static let chunk = 256 << 10

    /// Reads from `fileDescriptor` (not closed by the reader). Lines over `maxLineBytes` are reported, not returned.
    public init(fileDescriptor: Int32, maxLineBytes: Int = 1 << 20) {
        self.fileDescriptor = fileDescriptor
        self.maxLineBytes = maxLineBytes
        buffer = .allocate(byteCount: maxLineBytes + Self.chunk + 1, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// The next line, or `nil` at the end of input. Throws ``ReadError`` if reading fails.
    public mutating func next() throws(ReadError) -> Line? {
        while true {
            if let newline = findNewline() {
                lineNumber += 1
                var lineEnd = newline
                if lineEnd > start, buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let range = withoutByteOrderMark(start..<lineEnd)
                start = newline + 1
                scanned = start
                if range.count > maxLineBytes { return .tooLong(number: lineNumber, bytes: range.count) }
                return .text(number: lineNumber, range: range)
            }
            if atEOF {
                guard start < end else { return nil }
                lineNumber += 1
                let range = withoutByteOrderMark(start..<end)
                start = end
                scanned = end
                if range.count > maxLineBytes { return .tooLong(number: lineNumber, bytes: range.count) }
                return .text(number: lineNumber, range: range)
            }
            if end - start > maxLineBytes {
                return try skipOverlongLine()
            }
            try fill()
        }
    }

    /// The first line without a UTF-8 byte-order mark (`EF BB BF`), which editors and
    /// spreadsheet exports put at the start of a file; it is not part of the first event.
    private func withoutByteOrderMark(_ range: Range<Int>) -> Range<Int> {
        guard lineNumber == 1, range.count >= 3, buffer[range.lowerBound] == 0xEF, buffer[range.lowerBound + 1] == 0xBB,
            buffer[range.lowerBound + 2] == 0xBF
        else { return range }
        return range.lowerBound + 3..<range.upperBound
    }

    /// Calls `body` with the bytes of a line returned by ``next()``.
    public func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[range]))
    }

    private mutating func findNewline() -> Int? {
        guard scanned < end, let base = buffer.baseAddress else { return nil }
        if let found = memchr(base + scanned, 0x0A, end - scanned) {
            return base.distance(to: found)
        }
        scanned = end
        return nil
    }

    /// Moves the unread bytes to the front and reads one more chunk.
    private mutating func fill() throws(ReadError) {
        if start > 0 {
            let count = end - start
            if count > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: count) }
            scanned -= start
            end = count
            start = 0
        }
        let room = min(buffer.count - end, Self.chunk)
        let n = read(fileDescriptor, buffer.baseAddress! + end, room)
        if n < 0 {
            if errno == EINTR { return }
            throw ReadError(errno: errno)
        }
        if n == 0 { atEOF = true } else { end += n }
    }

    /// Discards the current line up to its newline (or the end of input).
    private mutating func skipOverlongLine() throws(ReadError) -> Line {
        lineNumber += 1
        var skipped = end - start
        start = 0
        end = 0
        scanned = 0
        while true {
            try fill()
            if let newline = findNewline() {
                skipped += newline
                start = newline + 1
                scanned = start
                return .tooLong(number: lineNumber, bytes: skipped)
            }
            skipped += end
            if atEOF {
                start = end
                return .tooLong(number: lineNumber, bytes: skipped)
            }
            start = 0
            end = 0
            scanned = 0
        }
    }
}

/// Reading the input failed (not a problem with its content).
public struct ReadError: Error, Sendable, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "read failed: \(String(cString: strerror(errno)))" }
}
