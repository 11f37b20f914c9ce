import MappingKit

/// Appends field values to a request body exactly as the JSON serializer writes them, but
/// straight into the body, without the serializer's per-call buffer: strings that need no
/// escaping (identifiers, hashes, URLs) are copied as they are; strings that do go to the
/// serializer's escaping.
enum ElementText {
    static func write(_ value: JSON, into out: inout [UInt8]) {
        switch value {
        case .string(let text): write(string: text, into: &out)
        case .int(let i): write(integer: i, into: &out)
        case .bool(let b): out.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for i in items.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(items[i], into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .double(let d):
            // JSON has no NaN or Infinity; JSON.stringify writes null for them.
            if d.isFinite { out.append(contentsOf: JSNumber.format(d).utf8) } else { out.append(contentsOf: "null".utf8) }
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for i in 0..<object.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(string: object.keys[i], into: &out)
                out.append(UInt8(ascii: ":"))
                write(object.values[i], into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func write(integer: Int, into out: inout [UInt8]) {
        out.append(contentsOf: String(integer).utf8)
    }

    /// Quoted; copied as is unless it holds `"`, `\` or a control character.
    static func write(string: String, into out: inout [UInt8]) {
        let copied = string.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard !needsEscaping(UnsafeRawBufferPointer(utf8)) else { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if copied != true { JSON.serializeString(string, into: &out) }
    }

    /// True when some byte is `"`, `\` or below 0x20; tests eight bytes at a time.
    private static func needsEscaping(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var marks: UInt64 = 0
        var i = 0
        while i + 8 <= bytes.count {
            // Each term is non-zero exactly when some byte is below 0x20, or equal to `"` or `\`.
            let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            marks |= (word &- ones &* 0x20) & ~word
            marks |= (quote &- ones) & ~quote
            marks |= (backslash &- ones) & ~backslash
            i += 8
        }
        if marks & (ones &* 0x80) != 0 { return true }
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return true }
            i += 1
        }
        return false
    }
}
