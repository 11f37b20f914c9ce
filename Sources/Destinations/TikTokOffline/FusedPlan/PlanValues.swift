import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import TikTokEventsAPI

/// A mapped and coerced field as a fused plan holds it: a string where it lies in the event,
/// or a prepared value.
enum SlotValue {
    case absent
    case text(JSONDocument.Value)
    case tree(JSON)
    /// A list of objects (or one object) in the event, shaped item by item as it is written.
    case items(JSONDocument.Value)
}

/// A fused plan's values, as ``DataElement`` reads them. Identifier lists are normalized and
/// hashed as they are written, counted, and their dropped values noted: the plan then refuses
/// a record with none left, and gives the normalize stage's warnings.
struct PlanValues: ElementFields {
    let document: JSONDocument
    let slots: UnsafeMutableBufferPointer<SlotValue>
    let normalizers: [IdentifierNormalizer?]
    let schema: ActionSchema
    /// How `.items` are shaped.
    let itemShape: TikTokFusedPlan.ItemShape?
    /// Identifier values written.
    private(set) var identifiers = 0
    /// Identifier values dropped, and why, or kept with a warning (the normalize stage's warnings).
    private(set) var notes: [(slot: ElementSlot, note: IdentifierNote)] = []
    /// Only the general path can tell what becomes of the record: an item's value does not
    /// fit the schema.
    private(set) var needsGeneralPath = false

    init(
        document: JSONDocument, slots: UnsafeMutableBufferPointer<SlotValue>, normalizers: [IdentifierNormalizer?],
        schema: ActionSchema, itemShape: TikTokFusedPlan.ItemShape?
    ) {
        self.document = document
        self.slots = slots
        self.normalizers = normalizers
        self.schema = schema
        self.itemShape = itemShape
    }

    func isTruthy(_ slot: ElementSlot) -> Bool {
        switch slots[slot.rawValue] {
        case .absent: false
        case .text(let value): document.isTruthy(value)
        case .tree(let value): value.isTruthy
        case .items: true
        }
    }

    func isIntegerZero(_ slot: ElementSlot) -> Bool {
        if case .tree(.int(0)) = slots[slot.rawValue] { true } else { false }
    }

    func withString<R>(_ slot: ElementSlot, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        switch slots[slot.rawValue] {
        case .absent, .items: return nil
        case .text(let value): return document.withUTF8(value, body)
        case .tree(let value):
            guard case .string(var text) = value else { return nil }
            return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
    }

    mutating func write(_ key: StaticString, _ slot: ElementSlot, absent: StaticString?, to json: inout JSONTextWriter) {
        if let normalizer = normalizers[slot.rawValue] {
            writeIdentifiers(key, slot, normalizer, to: &json)
            return
        }
        switch slots[slot.rawValue] {
        case .absent: if let absent { json.member(key, raw: absent) }
        case .text(let value): json.member(key, string: value, of: document)
        case .tree(let value): json.member(key, value)
        case .items(let list): writeItems(key, list, to: &json)
        }
    }

    /// The list as the schema coerces its objects: declared members, in the shape's order.
    private mutating func writeItems(_ key: StaticString, _ list: JSONDocument.Value, to json: inout JSONTextWriter) {
        json.openArray(key)
        if document.isObject(list) {
            writeItem(list, to: &json)
        } else {
            document.forEachElement(of: list) { writeItem($0, to: &json) }
        }
        json.closeArray()
    }

    private mutating func writeItem(_ item: JSONDocument.Value, to json: inout JSONTextWriter) {
        guard let shape = itemShape else { return needsGeneralPath = true }
        json.openObjectElement()
        if let keys = shape.keys {
            // One pass over the item's members; a repeated key's later value wins, as in a lookup.
            withUnsafeTemporaryAllocation(of: JSONDocument.Value?.self, capacity: keys.count) { found in
                found.initialize(repeating: nil)
                document.forEachMember(of: item) { key, value in
                    for j in keys.indices where Self.equal(keys[j], key) { found[j] = value }
                }
                for (j, member) in shape.members.enumerated() {
                    if let value = found[j] { write(.value(value), member, of: shape, to: &json) }
                }
            }
        } else {
            for member in shape.members { write(member.read.read(document, from: item), member, of: shape, to: &json) }
        }
        json.closeObject()
    }

    private static func equal(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && a.withUnsafeBytes { memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 }
    }

    /// One member of an item: as the event has it when it already has the member's type, else coerced.
    private mutating func write(
        _ read: DocumentRead, _ member: TikTokFusedPlan.ItemShape.Member, of shape: TikTokFusedPlan.ItemShape,
        to json: inout JSONTextWriter
    ) {
        switch read {
        case .missing:
            return
        case .value(let value) where member.type == .string && document.isString(value):
            json.key(encoded: member.encodedKey)
            json.value(string: value, of: document)
        case .value(let value) where member.type == .number && document.isNumber(value):
            let number = document.json(value)
            // 1e400 is a number to the parser, and would be written as null: the schema refuses it.
            if case .double(let d) = number, !d.isFinite { return writeCoerced(number, member, of: shape, to: &json) }
            json.key(encoded: member.encodedKey)
            json.value(number)
        case .value(let value):
            writeCoerced(document.json(value), member, of: shape, to: &json)
        case .tree(let value):
            writeCoerced(value, member, of: shape, to: &json)
        }
    }

    private mutating func writeCoerced(
        _ value: JSON, _ member: TikTokFusedPlan.ItemShape.Member, of shape: TikTokFusedPlan.ItemShape, to json: inout JSONTextWriter
    ) {
        do {
            guard let coerced = try schema.prepareItemMember(member.key, of: shape.field, value) else { return }
            json.key(encoded: member.encodedKey)
            json.value(coerced)
        } catch {
            needsGeneralPath = true
        }
    }

    /// The list as the normalize and hash stages leave it: blank values gone, the rest in the
    /// form TikTok matches on, then hashed unless they already look hashed.
    private mutating func writeIdentifiers(
        _ key: StaticString, _ slot: ElementSlot, _ normalizer: IdentifierNormalizer, to json: inout JSONTextWriter
    ) {
        json.openArray(key)
        switch slots[slot.rawValue] {
        case .absent: break
        case .text(let value): document.withUTF8(value) { add($0, slot, normalizer, to: &json) }
        case .tree(.array(let items)):
            for case .string(var text) in items { text.withUTF8 { add(UnsafeRawBufferPointer($0), slot, normalizer, to: &json) } }
        case .tree(.string(var text)): text.withUTF8 { add(UnsafeRawBufferPointer($0), slot, normalizer, to: &json) }
        case .tree, .items: break
        }
        json.closeArray()
    }

    private mutating func add(
        _ value: UnsafeRawBufferPointer, _ slot: ElementSlot, _ normalizer: IdentifierNormalizer, to json: inout JSONTextWriter
    ) {
        let verdict = normalizer.normalize(utf8: value) { normalized in
            if SHA256Hex.looksHashed(utf8: normalized) {
                json.element(utf8String: normalized)
            } else {
                SHA256Hex.hash(utf8: normalized) { json.element(utf8String: $0) }
            }
        }
        switch verdict {
        case .kept: identifiers += 1
        case .keptWithWarning(let warning):
            identifiers += 1
            notes.append((slot, .warned(warning)))
        case .blank: break
        case .dropped(let reason): notes.append((slot, .dropped(reason)))
        }
    }
}

/// What the normalize stage says of one identifier value: dropped for a reason, or kept with a warning.
enum IdentifierNote {
    case dropped(String)
    case warned(String)

    /// The record's warning for a value of `field`, as the normalize stage words it.
    func warning(field: String) -> String {
        switch self {
        case .dropped(let reason): NormalizeStage.droppedValue(field, reason)
        case .warned(let warning): NormalizeStage.warnedValue(field, warning)
        }
    }
}
