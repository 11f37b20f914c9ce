extension JSON {
    /// Compact JSON text (no spaces, member order kept), as `JSON.stringify` writes it.
    public func serialized() -> String {
        var text: [UInt8] = []
        serialize(into: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the compact JSON text of ``serialized()`` to `out`, straight into it.
    public func serialize(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            // JSON has no NaN or Infinity; JSON.stringify writes null for them.
            out.append(contentsOf: d.isFinite ? JSNumber.format(d).utf8 : "null".utf8)
        case .string(let s): Self.serializeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            a.withUnsafeBufferPointer { elements in
                for i in 0..<elements.count {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    elements[i].serialize(into: &out)
                }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            o.members.withUnsafeBufferPointer { members in
                for i in 0..<members.count {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    Self.serializeString(members[i].key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    members[i].value.serialize(into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a quoted JSON string, escaping what JSON.stringify escapes (`"`, `\` and
    /// control characters). Runs of plain bytes, usually the whole string, are copied as they are.
    public static func serializeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { serializeString(utf8: UnsafeRawBufferPointer($0), into: &out) }
    }

    /// ``serializeString(_:into:)`` for text already in memory as UTF-8 (the caller checks it is).
    public static func serializeString(utf8 raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        var allBits: UInt8 = 0
        while true {
            let i = JSONStringScan.firstSpecial(in: raw, from: runStart, allBits: &allBits)
            if i > runStart { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[runStart..<i])) }
            guard i < raw.count else { break }
            runStart = i + 1
            appendEscape(for: raw[i], into: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(for byte: UInt8, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            out.append(contentsOf: "u00".utf8)
            out.append(hexDigits.utf8Start[Int(byte >> 4)])
            out.append(hexDigits.utf8Start[Int(byte & 0xF)])
        }
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}
