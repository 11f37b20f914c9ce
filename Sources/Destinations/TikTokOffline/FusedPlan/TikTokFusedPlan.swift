import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import TikTokEventsAPI

/// One mapping fused with schema coercion and the built-in `normalize`, `hash`, `validate` and
/// `send` stages: it reads each mapped value where it lies in the event, and writes the `data`
/// element through the same layout as the `send` stage (``DataElement``), normalizing and
/// hashing identifiers on the way. No `fields` object is built.
///
/// It settles the common cases itself, with the stages' own words: records sent (with the
/// normalize stage's warnings for dropped values), refused by the schema (its first refusal),
/// or refused for having no identifier left. Everything else goes back to the general path
/// untouched, which explains it as it always has: an evaluation error, a missing required
/// field, a timestamp that is no date or too old, `Purchase`, a CRM event, an event set id
/// that is none, a product whose values do not fit. Strings read from the event are used as
/// they are; every other value is prepared by the schema itself (``ActionSchema/prepareMember(_:_:)``).
struct TikTokFusedPlan: FusedPlan {
    /// One top-level member of the mapping and what becomes of its value. A class: every
    /// record walks every member, and must not copy (and retain) each one's parts.
    final class Member: Sendable {
        let key: String
        let read: MemberRead
        let handling: Handling
        /// Where the element reads the field; nil for one it does not (a routing field).
        let slot: ElementSlot?
        /// Delivery reads the field from the prepared record (see ``deliveryKeys``).
        let isDeliveryField: Bool
        let isRequired: Bool

        init(key: String, read: MemberRead, handling: Handling, slot: ElementSlot?, isDeliveryField: Bool, isRequired: Bool) {
            self.key = key
            self.read = read
            self.handling = handling
            self.slot = slot
            self.isDeliveryField = isDeliveryField
            self.isRequired = isRequired
        }
    }

    enum Handling: Sendable {
        /// A string field without choices: a string from the event is used where it lies.
        case text
        /// A personal-data list: a string from the event is a list of one.
        case identifiers
        /// A list of objects shaped from the event's items (`contents` by `@arrayPath`).
        case items(ItemShape)
        /// Anything else: prepared as a tree by the schema.
        case general

        /// A string from the event is used where it lies.
        var keepsStrings: Bool {
            switch self {
            case .text, .identifiers: true
            case .items, .general: false
            }
        }
    }

    /// How the items of a list field are shaped and written, member by member, as the schema
    /// coerces them (`contents`: `price` and `quantity` numbers, the rest strings). A class:
    /// it is read for every item of every record.
    final class ItemShape: Sendable {
        /// A class, as ``TikTokFusedPlan/Member`` is.
        final class Member: Sendable {
            let key: String
            /// `"key":`, written once.
            let encodedKey: [UInt8]
            let read: MemberRead
            /// Values of this type are written as the event has them; others are coerced.
            let type: FieldType

            init(key: String, encodedKey: [UInt8], read: MemberRead, type: FieldType) {
                self.key = key
                self.encodedKey = encodedKey
                self.read = read
                self.type = type
            }
        }

        let field: String
        let list: MemberRead
        let members: [Member]
        /// The key each member reads, when every member reads one key (`$.price`): an item is
        /// then read in one pass over its members instead of one lookup per member.
        let keys: [[UInt8]]?

        /// Nil unless `read` is `@arrayPath` shaping plain objects of the list field `spec`.
        init?(_ read: MemberRead, field spec: FieldSpec) {
            guard let shape = read.arrayShape, spec.type == .object, spec.multiple, spec.choices == nil,
                !spec.properties.contains(where: \.required)
            else { return nil }
            field = spec.key
            list = shape.list
            members = zip(shape.item.keys, shape.item.reads).compactMap { key, read in
                // Members the field does not declare go (read in place, they cannot fail).
                guard let member = spec.properties.first(where: { $0.key == key }) else { return nil }
                var encoded: [UInt8] = []
                JSON.serializeString(key, into: &encoded)
                encoded.append(UInt8(ascii: ":"))
                let plain = !member.multiple && member.choices == nil && (member.type == .string || member.type == .number)
                return Member(key: key, encodedKey: encoded, read: read, type: plain ? member.type : .object)
            }
            let keys = members.compactMap { $0.read.key.map { Array($0.utf8) } }
            self.keys = keys.count == members.count ? keys : nil
        }
    }

    /// What a prepared record keeps in its fields: what the sinks, the printer and the outbox
    /// key read (the event name, its id, and the route).
    static let deliveryKeys: Set<String> = ["event", "event_id", "event_set_id", "event_source", "test_event_code"]

    let members: [Member]
    let schema: ActionSchema
    /// The normalizer of each identifier slot (nil for the other slots).
    let normalizers: [IdentifierNormalizer?]
    /// The shape of the `contents` items, when they are read in place.
    let itemShape: ItemShape?
    /// The action's identifier fields and their slots, in the normalize stage's order.
    let identifierOrder: [(key: String, slot: ElementSlot)]
    /// The validate stage's reason for a record with no identifier left.
    let noIdentifier: String
    let timeWindow: EventTimeWindow
    let needsEventIDs: Bool

    /// Nil when the mapping cannot be fused: a directive at its top, a required field it does
    /// not map, or identifier fields the element does not know.
    init?(_ mapping: Engine.CompiledMapping, stages: TikTokFusedPlanner.Stages) {
        guard let reads = MemberReads(mapping.mapping) else { return nil }
        var normalizers = [IdentifierNormalizer?](repeating: nil, count: ElementSlot.allCases.count)
        let identifiers = stages.normalize.identifiers.fields(for: mapping.action)
        guard !identifiers.isEmpty else { return nil }
        var identifierOrder: [(key: String, slot: ElementSlot)] = []
        for field in identifiers {
            var hint = 0
            guard let slot = ElementSlot.slot(forKey: field.key, hint: &hint),
                [.emailAddresses, .phoneNumbers, .externalIDs].contains(slot),
                let spec = mapping.schema.field(field.key), spec.type == .string, spec.multiple, spec.choices == nil
            else { return nil }
            normalizers[slot.rawValue] = field.normalizer
            identifierOrder.append((field.key, slot))
        }
        for spec in mapping.schema.fields where spec.required && !reads.keys.contains(spec.key) { return nil }
        var members: [Member] = []
        for (key, read) in zip(reads.keys, reads.reads) {
            guard let spec = mapping.schema.field(key) else { return nil }
            var hint = 0
            let slot = ElementSlot.slot(forKey: key, hint: &hint)
            let handling: Handling =
                if let slot, normalizers[slot.rawValue] != nil { .identifiers }
                else if spec.type == .string && !spec.multiple && spec.choices == nil { .text }
                else if slot == .contents, let shape = ItemShape(read, field: spec) { .items(shape) }
                else { .general }
            members.append(Member(
                key: key, read: read, handling: handling, slot: slot,
                isDeliveryField: Self.deliveryKeys.contains(key), isRequired: spec.required))
        }
        self.members = members
        self.itemShape = members.lazy.compactMap { if case .items(let shape) = $0.handling { shape } else { nil } }.first
        self.schema = mapping.schema
        self.normalizers = normalizers
        self.identifierOrder = identifierOrder
        self.noIdentifier = ValidateStage.noIdentifier(among: identifiers.map(\.key))
        self.timeWindow = stages.validate.timeWindow
        self.needsEventIDs = stages.send.sink.needsEventIDs
    }

    func prepare(_ record: inout Record, from document: JSONDocument, now: Int64) -> Bool {
        withUnsafeTemporaryAllocation(of: SlotValue.self, capacity: ElementSlot.allCases.count) { slots in
            slots.initialize(repeating: .absent)
            defer { _ = slots.deinitialize() }
            var delivery: [JSONObject.Member] = []
            delivery.reserveCapacity(4)
            // Mapping and schema, member by member. The schema's first refusal is the record's
            // reason, unless a later member fails to evaluate (the mapping runs first).
            var refusal: String?
            for member in members {
                guard let value = value(of: member, in: document, refusal: &refusal) else { return false }
                if refusal != nil { continue }
                switch value {
                case .absent:
                    if member.isRequired { return false }
                    continue
                case .text(let text):
                    if member.isDeliveryField { delivery.append(JSONObject.Member(key: member.key, value: document.json(text))) }
                case .tree(let tree):
                    if member.isDeliveryField { delivery.append(JSONObject.Member(key: member.key, value: tree)) }
                case .items:
                    break
                }
                if let slot = member.slot { slots[slot.rawValue] = value }
            }
            if let refusal {
                // As the schema leaves it: refused, with no fields.
                record.reject(refusal)
                record.markPrepared(output: nil, fields: JSONObject())
                return true
            }
            var values = PlanValues(
                document: document, slots: slots, normalizers: normalizers, schema: schema, itemShape: itemShape)
            // The validate stage's rules; what it would refuse or warn about before the
            // identifiers (and after them), the stages explain themselves.
            guard values.withString(.event, { !$0.isEmpty && !$0.elementsEqual("Purchase".utf8) }) == true,
                values.withString(.eventSource, { $0.elementsEqual(TikTokEventSource.crm.rawValue.utf8) }) != true
            else { return false }
            if let id = delivery.first(where: { $0.key == "event_set_id" })?.value, id.isTruthy,
                !(id.stringValue.map(TikTokRoute.isValidEventSetID) ?? false)
            {
                return false
            }
            if values.isTruthy(.timestamp) {
                guard let milliseconds = values.withString(.timestamp, JSDate.parseMilliseconds(utf8:)) ?? nil else { return false }
                if !timeWindow.admits(milliseconds: milliseconds, now: now) { return false }
            }
            // The send stage's id for a sink that keeps records by id.
            var deliveryWithID = delivery
            if needsEventIDs && !values.isTruthy(.eventID) {
                let id = JSON.string(UUID().uuidString.lowercased())
                slots[ElementSlot.eventID.rawValue] = .tree(id)
                deliveryWithID.removeAll { $0.key == "event_id" }
                deliveryWithID.append(JSONObject.Member(key: "event_id", value: id))
            }
            var output: [UInt8] = []
            output.reserveCapacity(1024)
            let matchKeys = DataElement.write(&values, now: now, into: &output)
            guard !values.needsGeneralPath else { return false }
            // The normalize stage's warnings, in its order: by field, then by value.
            for (key, slot) in identifierOrder {
                for note in values.notes where note.slot == slot { record.warnings.append(note.note.warning(field: key)) }
            }
            guard values.identifiers > 0 else {
                // Refused by the validate stage, before the send stage would give an id.
                record.reject(noIdentifier)
                record.markPrepared(output: nil, fields: JSONObject(uniqueMembers: delivery))
                return true
            }
            record.markPrepared(output: output, notes: matchKeys.rawValue, fields: JSONObject(uniqueMembers: deliveryWithID))
            return true
        }
    }

    /// The member's value after mapping and schema coercion; nil when only the general path
    /// can tell (an evaluation error, a value the schema refuses).
    private func value(of member: Member, in document: JSONDocument, refusal: inout String?) -> SlotValue? {
        if case .items(let shape) = member.handling { return items(shape, in: document) }
        let read: DocumentRead
        do { read = try member.read.read(document) } catch { return nil }
        let tree: JSON
        switch read {
        case .missing:
            return .absent
        case .value(let value) where member.handling.keepsStrings && document.isString(value):
            // The schema drops "" and keeps any other string (for identifiers, as a list of one).
            return document.isTruthy(value) ? .text(value) : .absent
        case .value(let value):
            tree = document.json(value)
        case .tree(let value):
            tree = value
        }
        do {
            return try schema.prepareMember(member.key, tree).map(SlotValue.tree) ?? .absent
        } catch {
            if refusal == nil { refusal = error.message }
            return .absent
        }
    }

    /// The list an item shape reads: its items are written as ``PlanValues`` writes them. Only
    /// a list of objects (or one object) is read in place; `null` or nothing is no list.
    private func items(_ shape: ItemShape, in document: JSONDocument) -> SlotValue? {
        switch shape.list.read(document, from: document.root!) {
        case .missing:
            return .absent
        case .tree:
            return nil
        case .value(let list):
            if document.isNull(list) { return .absent }
            if document.isObject(list) { return .items(list) }
            guard document.isArray(list) else { return nil }
            var objects = true
            document.forEachElement(of: list) { objects = objects && document.isObject($0) }
            return objects ? .items(list) : nil
        }
    }
}
