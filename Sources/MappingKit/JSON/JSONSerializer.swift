extension JSON {
    /// Compact JSON text (no spaces, member order kept), as `JSON.stringify` writes it.
    public func serialized() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        serialize(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON text to `out`.
    public func serialize(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): JSON.serializeInteger(i, into: &out)
        case .double(let d):
            // JSON has no NaN or Infinity; JSON.stringify writes null for them.
            if d.isFinite { out.append(contentsOf: JSNumber.format(d).utf8) } else { out.append(contentsOf: "null".utf8) }
        case .string(let s): JSON.serializeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                v.serialize(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            o.keys.withUnsafeBufferPointer { keys in
                o.values.withUnsafeBufferPointer { values in
                    for i in 0..<keys.count {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        JSON.serializeString(keys[i], into: &out)
                        out.append(UInt8(ascii: ":"))
                        values[i].serialize(into: &out)
                    }
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func serializeInteger(_ i: Int, into out: inout [UInt8]) {
        if i >= 0 && i < 10 {
            out.append(UInt8(ascii: "0") + UInt8(i))
            return
        }
        // Digits right to left into a buffer wide enough for Int.min.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var magnitude = i.magnitude
            var start = 20
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if i < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<20]))
        }
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends `s` as a quoted JSON string, escaping what JSON.stringify escapes.
    public static func serializeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let written: Void? = s.utf8.withContiguousStorageIfAvailable { appendEscaped($0, into: &out) }
        if written == nil {
            Array(s.utf8).withUnsafeBufferPointer { appendEscaped($0, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies runs that need no escaping in one go.
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let raw = UnsafeRawBufferPointer(bytes)
        var runStart = 0
        var allBits: UInt8 = 0
        while true {
            let i = JSONStringScan.firstSpecial(in: raw, from: runStart, allBits: &allBits)
            guard i < bytes.count else { break }
            let b = bytes[i]
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
            runStart = i + 1
            out.append(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                out.append(contentsOf: "u00".utf8)
                out.append(hexDigits.utf8Start[Int(b >> 4)])
                out.append(hexDigits.utf8Start[Int(b & 0xF)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}
