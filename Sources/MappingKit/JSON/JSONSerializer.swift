extension JSON {
    /// Compact JSON text (no spaces, member order kept), as `JSON.stringify` writes it.
    public func serialized() -> String {
        var writer = JSONWriter()
        defer { writer.deallocate() }
        writer.write(self)
        return String(decoding: writer.written, as: UTF8.self)
    }

    /// Appends compact JSON text to `out`.
    public func serialize(into out: inout [UInt8]) {
        var writer = JSONWriter()
        defer { writer.deallocate() }
        writer.write(self)
        out.append(contentsOf: writer.written)
    }

    /// Appends `s` as a quoted JSON string, escaping what JSON.stringify escapes.
    public static func serializeString(_ s: String, into out: inout [UInt8]) {
        let appendedPlain: Bool? = s.utf8.withContiguousStorageIfAvailable { utf8 in
            // Most strings need no escaping: their bytes go straight in between quotes.
            var allBits: UInt8 = 0
            guard JSONStringScan.firstSpecial(in: UnsafeRawBufferPointer(utf8), from: 0, allBits: &allBits) == utf8.count
            else { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if appendedPlain == true { return }
        var writer = JSONWriter(capacity: s.utf8.count * 6 + 2)
        defer { writer.deallocate() }
        writer.write(string: s)
        out.append(contentsOf: writer.written)
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}

/// Writes JSON text into a growable buffer of its own, reserving room once per token
/// (a string reserves for its worst-case escaping) so the bytes themselves are stored
/// without per-byte capacity or uniqueness checks. The owner must call `deallocate()`.
struct JSONWriter {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func deallocate() { base.deallocate() }

    /// The text written so far; valid until the next write or `deallocate()`.
    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(capacity * 2, needed)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    private mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    private mutating func bytes(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount)
        (base + count).initialize(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    mutating func write(_ value: JSON) {
        switch value {
        case .null: bytes("null")
        case .bool(let b): if b { bytes("true") } else { bytes("false") }
        case .int(let i): write(integer: i)
        case .double(let d):
            // JSON has no NaN or Infinity; JSON.stringify writes null for them.
            guard d.isFinite else { return bytes("null") }
            var text = JSNumber.format(d)
            text.withUTF8 { utf8 in
                reserve(utf8.count)
                (base + count).initialize(from: utf8.baseAddress!, count: utf8.count)
                count += utf8.count
            }
        case .string(let s): write(string: s)
        case .array(let a):
            byte(UInt8(ascii: "["))
            a.withUnsafeBufferPointer { elements in
                for i in 0..<elements.count {
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    write(elements[i])
                }
            }
            byte(UInt8(ascii: "]"))
        case .object(let o):
            byte(UInt8(ascii: "{"))
            o.members.withUnsafeBufferPointer { members in
                for i in 0..<members.count {
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    write(string: members[i].key)
                    byte(UInt8(ascii: ":"))
                    write(members[i].value)
                }
            }
            byte(UInt8(ascii: "}"))
        }
    }

    mutating func write(integer i: Int) {
        reserve(20)
        if i >= 0 && i < 10 {
            base[count] = UInt8(ascii: "0") + UInt8(i)
            count += 1
            return
        }
        var digits = 0
        var magnitude = i.magnitude
        repeat {
            digits += 1
            magnitude /= 10
        } while magnitude > 0
        if i < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        magnitude = i.magnitude
        var position = count + digits
        count = position
        repeat {
            position -= 1
            base[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    mutating func write(string s: String) {
        // Borrows the text in place; only a bridged string, never made here, is copied first.
        if s.utf8.withContiguousStorageIfAvailable({ write(utf8: $0) }) == nil {
            var s = s
            s.withUTF8 { write(utf8: $0) }
        }
    }

    private mutating func write(utf8: UnsafeBufferPointer<UInt8>) {
        // Worst case: every byte becomes \u00XX.
        reserve(utf8.count * 6 + 2)
        let out = base
        var at = count
        out[at] = UInt8(ascii: "\"")
        at += 1
        let raw = UnsafeRawBufferPointer(utf8)
        var runStart = 0
        var allBits: UInt8 = 0
        while true {
            let i = JSONStringScan.firstSpecial(in: raw, from: runStart, allBits: &allBits)
            if i > runStart {
                UnsafeMutableRawPointer(out + at).copyMemory(from: utf8.baseAddress! + runStart, byteCount: i - runStart)
                at += i - runStart
            }
            guard i < utf8.count else { break }
            runStart = i + 1
            let b = utf8[i]
            out[at] = UInt8(ascii: "\\")
            let escape: UInt8
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): escape = b
            case 0x0A: escape = UInt8(ascii: "n")
            case 0x0D: escape = UInt8(ascii: "r")
            case 0x09: escape = UInt8(ascii: "t")
            case 0x08: escape = UInt8(ascii: "b")
            case 0x0C: escape = UInt8(ascii: "f")
            default:
                out[at + 1] = UInt8(ascii: "u")
                out[at + 2] = UInt8(ascii: "0")
                out[at + 3] = UInt8(ascii: "0")
                out[at + 4] = Self.hexDigits.utf8Start[Int(b >> 4)]
                out[at + 5] = Self.hexDigits.utf8Start[Int(b & 0xF)]
                at += 6
                continue
            }
            out[at + 1] = escape
            at += 2
        }
        out[at] = UInt8(ascii: "\"")
        count = at + 1
    }
}
