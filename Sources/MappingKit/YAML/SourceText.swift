/// The UTF-8 text being parsed, for turning byte offsets into marks and for finding where
/// a scalar's content starts after its tag and anchor (libyaml marks the node start).
///
/// Lines and columns are counted as libyaml counts them: line breaks are CR LF, CR, LF,
/// NEL, LS and PS, and a leading byte order mark takes a column.
final class SourceText {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Byte offset of the first character of each line; computed on first use.
    private lazy var lineStarts: [Int] = computeLineStarts()

    /// `bytes` must outlive this object.
    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// The byte length of the line break at `offset`, or 0 if there is none.
    private func lineBreakLength(at offset: Int) -> Int {
        guard offset < bytes.count else { return 0 }
        switch bytes[offset] {
        case 0x0A: return 1
        case 0x0D: return offset + 1 < bytes.count && bytes[offset + 1] == 0x0A ? 2 : 1
        case 0xC2: return offset + 1 < bytes.count && bytes[offset + 1] == 0x85 ? 2 : 0
        case 0xE2:
            guard offset + 2 < bytes.count, bytes[offset + 1] == 0x80 else { return 0 }
            return bytes[offset + 2] == 0xA8 || bytes[offset + 2] == 0xA9 ? 3 : 0
        default: return 0
        }
    }

    private func computeLineStarts() -> [Int] {
        var starts = [0]
        var offset = 0
        while offset < bytes.count {
            let length = lineBreakLength(at: offset)
            if length > 0 {
                offset += length
                starts.append(offset)
            } else {
                offset += 1
            }
        }
        return starts
    }

    private func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    /// The mark of a byte offset (clamped to the text).
    func mark(atByteOffset offset: Int) -> SourceMark {
        let offset = min(max(offset, 0), bytes.count)
        // The last line starting at or before the offset.
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        var column = 1
        var i = lineStarts[low]
        while i < offset {
            if !isContinuation(bytes[i]) { column += 1 }
            i += 1
        }
        return SourceMark(line: low + 1, column: column)
    }

    /// The byte offset of a mark, or `nil` when the mark lies outside the text.
    func byteOffset(of mark: SourceMark) -> Int? {
        guard mark.line >= 1, mark.line <= lineStarts.count else { return nil }
        var offset = lineStarts[mark.line - 1]
        var column = 1
        while column < mark.column, offset < bytes.count {
            offset += 1
            while offset < bytes.count, isContinuation(bytes[offset]) { offset += 1 }
            column += 1
        }
        return offset
    }

    /// Where the content of a node that starts at `mark` with a tag or an anchor begins:
    /// skips the properties (`!tag`, `!<verbatim>`, `&anchor`) and the blanks, line breaks
    /// and comments after them.
    func contentMark(afterPropertiesAt mark: SourceMark) -> SourceMark {
        guard var offset = byteOffset(of: mark) else { return mark }
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "!") where offset + 1 < bytes.count && bytes[offset + 1] == UInt8(ascii: "<"):
                while offset < bytes.count, bytes[offset] != UInt8(ascii: ">") { offset += 1 }
                offset += 1
            case UInt8(ascii: "!"), UInt8(ascii: "&"):
                while offset < bytes.count, !isPropertyEnd(bytes[offset]), lineBreakLength(at: offset) == 0 {
                    offset += 1
                }
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                offset += 1
            case UInt8(ascii: "#"):
                while offset < bytes.count, lineBreakLength(at: offset) == 0 { offset += 1 }
            default:
                let length = lineBreakLength(at: offset)
                guard length > 0 else { return self.mark(atByteOffset: offset) }
                offset += length
            }
        }
        return mark
    }

    private func isPropertyEnd(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: "{"), UInt8(ascii: "}"):
            true
        default: false
        }
    }
}
