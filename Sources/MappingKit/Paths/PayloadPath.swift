import JSONKit
import Synchronization

/// A pre-split path into a payload, such as `$.properties.products[0].price`.
///
/// Parsing follows the mapping language's rules: segments split at `.`, at `[` before a quote
/// or digit, and at runs of `]` after a quote or digit; quotes are dropped; an empty path
/// (or `.`) means the whole payload. Parse once, look up many times. A class, so compiled
/// mappings share one copy and passing it around costs a single reference count.
final class PayloadPath: Sendable {
    /// One step of the walk; `index` is set when the key is a canonical array index.
    struct Segment: Sendable, Hashable {
        let key: String
        let index: Int?
        /// `key.utf8.count`, compared first so most non-matching keys are skipped cheaply.
        let length: Int

        init(key: String, index: Int?) {
            self.key = key
            self.index = index
            length = key.utf8.count
        }
    }

    /// The text the path was parsed from (after any `$.` removal).
    let text: String
    let segments: [Segment]

    /// A segment for walking a ``JSONDocument``: where its key is in `keyBytes`. Plain data,
    /// so the walk copies no reference-counted values.
    struct ByteSegment: Sendable {
        let start: Int
        let count: Int
        /// The key as a canonical array index, or -1.
        let index: Int
        let isLength: Bool
    }

    /// Every segment's key bytes, back to back.
    let keyBytes: [UInt8]
    let byteSegments: [ByteSegment]

    /// Parses a path. `@path` and `@arrayPath` remove the first `$.` (`stripsDollarDot`);
    /// template placeholders do not.
    init(_ raw: String, stripsDollarDot: Bool) {
        let text = stripsDollarDot ? PayloadPath.removingFirstDollarDot(raw) : raw
        self.text = text
        if text.isEmpty || text == "." {
            segments = []
        } else {
            segments = PayloadPath.split(text).map { Segment(key: $0, index: PayloadPath.arrayIndex($0)) }
        }
        var keyBytes: [UInt8] = []
        var byteSegments: [ByteSegment] = []
        for segment in segments {
            byteSegments.append(ByteSegment(
                start: keyBytes.count, count: segment.length, index: segment.index ?? -1, isLength: segment.key == "length"))
            keyBytes.append(contentsOf: segment.key.utf8)
        }
        self.keyBytes = keyBytes
        self.byteSegments = byteSegments
    }

    /// The compiled path for `raw`, shared with every mapping compiled before that reads the
    /// same path (a destination's mappings mostly read the same action defaults): routing then
    /// walks a few paths that stay in the CPU's cache instead of one copy per mapping. The table
    /// holds at most ``maxInterned`` paths; past that, paths are compiled afresh.
    static func interned(_ raw: String, stripsDollarDot: Bool) -> PayloadPath {
        let key = InternKey(raw: raw, stripsDollarDot: stripsDollarDot)
        if let path = internTable.withLock({ $0[key] }) { return path }
        let path = PayloadPath(raw, stripsDollarDot: stripsDollarDot)
        internTable.withLock { table in
            if table.count < maxInterned { table[key] = path }
        }
        return path
    }

    static let maxInterned = 4_096

    private struct InternKey: Hashable {
        let raw: String
        let stripsDollarDot: Bool
    }

    private static let internTable = Mutex<[InternKey: PayloadPath]>([:])

    /// Walks the payload as `current && current[segment]` does: a falsy intermediate value
    /// (`null`, `0`, `false`, `""`) ends the walk and is the result; a missing member is `nil`.
    func lookup(in payload: JSON?) -> JSON? {
        guard let payload else { return nil }
        return lookup(payload, from: 0)
    }

    /// The same walk over a parsed document, from its root: only the result becomes a tree.
    func lookup(in document: JSONDocument) -> JSON? {
        switch find(in: document) {
        case .missing: nil
        case .value(let value): document.json(value)
        case .tree(let tree): tree
        }
    }

    /// The same walk over a parsed document, ending at the value where it lies: nothing is
    /// built unless the walk goes into a string (`$.name[0]`, `$.name.length`).
    func find(in document: JSONDocument, from start: Int = 0) -> DocumentRead {
        guard !document.isEmpty else { return .missing }
        return keyBytes.withUnsafeBytes { keys in
            byteSegments.withUnsafeBufferPointer { segments in
                var current = start
                for position in segments.indices {
                    guard document.isTruthy(at: current) else { return document.read(at: current) }
                    let segment = segments[position]
                    switch document.kind(at: current) {
                    case .object:
                        let key = UnsafeRawBufferPointer(rebasing: keys[segment.start..<segment.start + segment.count])
                        guard let next = document.member(key, of: current) else { return .missing }
                        current = next
                    case .array:
                        guard segment.index >= 0 else {
                            return segment.isLength ? DocumentRead(lookup(.int(document.count(at: current)), from: position + 1)) : .missing
                        }
                        guard let next = document.element(segment.index, of: current) else { return .missing }
                        current = next
                    case .string:
                        return DocumentRead(lookup(document.json(at: current), from: position))
                    default:
                        return .missing
                    }
                }
                return document.read(at: current)
            }
        }
    }

    /// Recursive so every intermediate value stays borrowed: only the result is copied.
    private func lookup(_ value: JSON, from position: Int) -> JSON? {
        guard position < segments.count, value.isTruthy else { return value }
        switch value {
        case .object(let object):
            // Buffer pointers let the walk borrow members instead of copying each one.
            let length = segments[position].length
            return object.members.withUnsafeBufferPointer { members in
                for i in members.indices where members[i].key.utf8.count == length && members[i].key == segments[position].key {
                    return lookup(members[i].value, from: position + 1)
                }
                return nil
            }
        case .array(let elements):
            let segment = segments[position]
            if let index = segment.index {
                return index < elements.count ? lookup(elements[index], from: position + 1) : nil
            }
            return segment.key == "length" ? lookup(.int(elements.count), from: position + 1) : nil
        case .string(let string):
            let segment = segments[position]
            let units = string.utf16
            if let index = segment.index {
                guard index < units.count else { return nil }
                let unit = units[units.index(units.startIndex, offsetBy: index)]
                return lookup(.string(String(decoding: [unit], as: UTF16.self)), from: position + 1)
            }
            return segment.key == "length" ? lookup(.int(units.count), from: position + 1) : nil
        default:
            return nil
        }
    }

    private static func removingFirstDollarDot(_ raw: String) -> String {
        // `$['Order Total']`: a key at the top that needs brackets (a CSV column). Segment's
        // language would look for a key "$"; this engine reads the column (DIFFERENCES).
        if raw.hasPrefix("$['") || raw.hasPrefix("$[\"") { return String(raw.dropFirst()) }
        guard let range = raw.utf8.firstRange(of: "$.".utf8) else { return raw }
        var result = Substring(raw[..<range.lowerBound])
        result += raw[range.upperBound...]
        return String(result)
    }

    /// A canonical array index ("0", "17", never "01" or "-1").
    private static func arrayIndex(_ key: String) -> Int? {
        let bytes = key.utf8
        guard let first = bytes.first, !bytes.isEmpty, bytes.count <= 10 else { return nil }
        if first == UInt8(ascii: "0") && bytes.count > 1 { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value < 4_294_967_295 ? value : nil
    }

    private static func split(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        var segments: [String] = []
        var current: [UInt8] = []
        func isQuote(_ b: UInt8) -> Bool { b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        func flush() {
            let kept = current.filter { !isQuote($0) }
            if !kept.isEmpty { segments.append(String(decoding: kept, as: UTF8.self)) }
            current.removeAll(keepingCapacity: true)
        }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: ".") {
                flush()
            } else if byte == UInt8(ascii: "["), i + 1 < bytes.count, isQuote(bytes[i + 1]) || isDigit(bytes[i + 1]) {
                flush()
            } else if byte == UInt8(ascii: "]"), i > 0, isQuote(bytes[i - 1]) || isDigit(bytes[i - 1]) {
                flush()
                while i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "]") { i += 1 }
            } else {
                current.append(byte)
            }
            i += 1
        }
        flush()
        return segments
    }
}
