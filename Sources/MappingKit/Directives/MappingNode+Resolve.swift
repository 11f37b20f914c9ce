import JSONKit

/// What a mapping reads: a JSON value (`nil` for "no value"), or an event read in place
/// from a ``JSONDocument``.
protocol MappingPayload {
    /// The value at `path`, walked as ``PayloadPath`` describes.
    func value(at path: PayloadPath) -> JSON?
    var isObject: Bool { get }
    /// JavaScript's type word for the payload (`undefined` for no value), for messages.
    var javaScriptTypeName: String { get }
}

extension Optional: MappingPayload where Wrapped == JSON {
    @inline(__always)
    func value(at path: PayloadPath) -> JSON? { path.lookup(in: self) }
    var isObject: Bool { if case .object? = self { true } else { false } }
    var javaScriptTypeName: String { JavaScript.typeName(self) }
}

extension JSONDocument: MappingPayload {
    @inline(__always)
    func value(at path: PayloadPath) -> JSON? { path.lookup(in: self) }
    var javaScriptTypeName: String { typeName }
}

extension MappingNode {
    /// Resolves this node against a payload; `nil` means "no value" (undefined).
    ///
    /// The payload is usually an event object, but inside `@arrayPath` shapes it is one array
    /// element (any JSON), and after an `@transform` whose `apply` yields nothing it is `nil`.
    func resolve(_ payload: some MappingPayload) throws(MappingEvaluationError) -> JSON? {
        switch self {
        case .value(let value):
            return value
        case .undefined:
            return nil
        case .object(let keys, let members):
            return .object(try Self.resolveMembers(keys: keys, members: members, payload))
        case .array(let nodes):
            var elements: [JSON] = []
            elements.reserveCapacity(nodes.count)
            try nodes.withUnsafeBufferPointer { (nodes) throws(MappingEvaluationError) in
                for index in nodes.indices { elements.append(try nodes[index].resolve(payload) ?? .null) }
            }
            return .array(elements)
        case .failure(let message):
            throw MappingEvaluationError(message: message)
        case .path(let path):
            return payload.value(at: path)
        case .computedPath(let node):
            let text = try node.resolveString(payload, directive: "@path")
            return payload.value(at: PayloadPath(text, stripsDollarDot: true))
        case .template(let template):
            return .string(template.render(payload))
        case .computedTemplate(let node):
            return .string(Template(try node.resolveString(payload, directive: "@template")).render(payload))
        case .condition(let condition):
            return try condition.resolve(payload)
        case .caseChange(let op, let node):
            let value = try node.resolve(payload)
            guard case .string(let text)? = value else { return value }
            switch op {
            case "lower": return .string(text.lowercased())
            case "upper": return .string(text.uppercased())
            default: throw MappingEvaluationError(message: "operator key should have a value of \"lower\" or \"upper\"")
            }
        case .replace(let replacement):
            return try replacement.resolve(payload)
        case .arrayPath(let root, let shape):
            let value = try root.resolve(payload)
            guard let shape else { return value }
            switch value {
            case .object?:
                return .array([try shape.resolve(value) ?? .null])
            case .array(let items)?:
                var shaped: [JSON] = []
                shaped.reserveCapacity(items.count)
                for item in items { shaped.append(try shape.resolve(item as JSON?) ?? .null) }
                return .array(shaped)
            default:
                return value
            }
        case .json(let mode, let node):
            let value = try node.resolve(payload)
            switch mode {
            case .encode:
                return value.map { .string($0.serialized()) }
            case .decode:
                guard case .string(let text)? = value else { return value }
                return (try? JSON.parse(text)) ?? value
            case .unknown:
                return nil
            }
        case .flatten(let separatorNode, let valueNode, let omitArrays):
            guard case .string(let separator)? = try separatorNode.resolve(payload) else {
                throw MappingEvaluationError(message: "@flatten requires a string separator")
            }
            var flattened = OrderedAssignment()
            Flattening.flatten(try valueNode.resolve(payload), prefix: "", separator: separator,
                               omitArrays: omitArrays, into: &flattened)
            return .object(flattened.object)
        case .merge(let direction, let objects):
            return try Merging.merge(objects, leftWins: try direction.resolve(payload) == .string("left"), payload)
        case .split(let split):
            return try split.resolve(try split.value.resolve(payload))
        case .transform(let apply, let mapping):
            guard payload.isObject else {
                throw MappingEvaluationError(message: "data must be an object, got \(payload.javaScriptTypeName)")
            }
            return try mapping.resolve(try apply.resolve(payload))
        case .excludeWhenNull(let node):
            switch try node.resolve(payload) {
            case .null?: return nil
            case .object(let object)?: return .object(Self.removingNullMembers(object))
            case let other: return other
            }
        }
    }

    /// A raw object's members that have a value.
    private static func resolveMembers(
        keys: [String], members: [MappingNode], _ payload: some MappingPayload
    ) throws(MappingEvaluationError) -> JSONObject {
        var resolved: [JSONObject.Member] = []
        resolved.reserveCapacity(members.count)
        try members.withUnsafeBufferPointer { (members) throws(MappingEvaluationError) in
            for index in members.indices {
                if let value = try members[index].resolve(payload) {
                    resolved.append(JSONObject.Member(key: keys[index], value: value))
                }
            }
        }
        return JSONObject(uniqueMembers: resolved)
    }

    private func resolveString(_ payload: some MappingPayload, directive: String) throws(MappingEvaluationError) -> String {
        let value = try resolve(payload)
        guard case .string(let text)? = value else {
            throw MappingEvaluationError(message: "\(directive): expected string, got \(JavaScript.typeName(value))")
        }
        return text
    }

    private static func removingNullMembers(_ object: JSONObject) -> JSONObject {
        var cleaned = JSONObject(minimumCapacity: object.count)
        for (key, value) in object {
            switch value {
            case .null: continue
            case .object(let nested): cleaned.appendUnchecked(key, .object(removingNullMembers(nested)))
            default: cleaned.appendUnchecked(key, value)
            }
        }
        return cleaned
    }
}

extension MappingNode.Condition {
    func resolve(_ payload: some MappingPayload) throws(MappingEvaluationError) -> JSON? {
        let value = try subject.resolve(payload)
        let holds: Bool
        switch (test, value) {
        case (_, nil), (_, .null?): holds = false
        case (.exists, _?): holds = true
        case (.blank, let value?): holds = JavaScript.differsLooselyFromEmptyString(value)
        }
        if holds { return thenRepeatsSubject ? value : try then?.resolve(payload) }
        return try otherwise?.resolve(payload)
    }
}

extension MappingNode.Replacement {
    func resolve(_ payload: some MappingPayload) throws(MappingEvaluationError) -> JSON? {
        let text: String
        switch try value.resolve(payload) {
        case .string(let s)?: text = s
        case let scalar? where scalar.boolValue != nil || scalar.isNumber: text = JavaScript.string(scalar)
        default: return .string("")
        }
        if hasInvalidFlags { return .string("") }
        var result = try first.apply(to: text, ignoringCase: ignoresCase, global: isGlobal)
        if let second { result = try second.apply(to: result, ignoringCase: ignoresCase, global: isGlobal) }
        return .string(result)
    }
}

/// `@flatten`: nested keys joined with a separator; later keys win on collisions.
enum Flattening {
    static func flatten(
        _ value: JSON?, prefix: String, separator: String, omitArrays: Bool, into result: inout OrderedAssignment
    ) {
        func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + separator + name }
        switch value {
        case .object(let object)?:
            for (name, member) in object {
                flatten(member, prefix: key(name), separator: separator, omitArrays: omitArrays, into: &result)
            }
        case .array(let elements)? where !omitArrays:
            for (index, element) in elements.enumerated() {
                flatten(element, prefix: key(String(index)), separator: separator, omitArrays: omitArrays, into: &result)
            }
        default:
            result.assign(prefix, value)
        }
    }
}

/// `@merge`: a shallow `Object.assign` of the resolved items into `{}`.
enum Merging {
    static func merge(_ items: [MappingNode], leftWins: Bool, _ payload: some MappingPayload) throws(MappingEvaluationError) -> JSON {
        var contributions: [[(String, JSON?)]] = []
        contributions.reserveCapacity(items.count)
        for item in items { contributions.append(try members(of: item, payload)) }
        if leftWins { contributions.reverse() }

        var merged = OrderedAssignment()
        for members in contributions {
            for (key, value) in members { merged.assign(key, value) }
        }
        return .object(merged.object)
    }

    /// The own enumerable members `Object.assign` copies from one item. Members of a raw
    /// object that resolve to no value are kept as `nil`: they overwrite earlier values.
    private static func members(of item: MappingNode, _ payload: some MappingPayload) throws(MappingEvaluationError) -> [(String, JSON?)] {
        if case .object(let keys, let nodes) = item {
            var members: [(String, JSON?)] = []
            members.reserveCapacity(keys.count)
            for index in keys.indices { members.append((keys[index], try nodes[index].resolve(payload))) }
            return members
        }
        switch try item.resolve(payload) {
        case .object(let object)?:
            return object.map { ($0.key, $0.value) }
        case .array(let elements)?:
            return elements.enumerated().map { (String($0.offset), $0.element) }
        case .string(let text)?:
            return text.utf16.enumerated().map { (String($0.offset), .string(String(decoding: [$0.element], as: UTF16.self))) }
        default:
            return []
        }
    }
}

/// JavaScript property assignment into a fresh object: a key keeps the position of its first
/// assignment, later assignments win, and assigning "no value" leaves a member that is
/// removed at the end. Indexed by a dictionary, so hostile inputs with many keys stay linear.
struct OrderedAssignment {
    private var keys: [String] = []
    private var values: [JSON?] = []
    private var positions: [String: Int] = [:]

    mutating func assign(_ key: String, _ value: JSON?) {
        if let position = positions[key] {
            values[position] = value
        } else {
            positions[key] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    var object: JSONObject {
        var object = JSONObject(minimumCapacity: keys.count)
        for (key, value) in zip(keys, values) {
            if let value { object.appendUnchecked(key, value) }
        }
        return object
    }
}

extension MappingNode.Split {
    /// The parts of `value` (a string; numbers and booleans as their text); no value for
    /// anything else, or a string with no parts.
    func resolve(_ value: JSON?) throws(MappingEvaluationError) -> JSON? {
        let text: String
        switch value {
        case .string(let string)?: text = string
        case .int?, .double?, .bool?: text = JavaScript.string(value!)
        default: return nil
        }
        let parts = Self.parts(of: Substring(text), at: separator)
        guard !parts.isEmpty else { return nil }
        guard parts.count <= Self.maxParts else {
            throw MappingEvaluationError(message: "@split found \(parts.count) parts, more than \(Self.maxParts)")
        }
        guard let fields, let fieldSeparator else { return .array(parts.map { .string(String($0)) }) }
        return .array(parts.map { part in
            var object = JSONObject()
            for (name, piece) in zip(fields, Self.parts(of: part, at: fieldSeparator, keepEmpty: true)) where !piece.isEmpty {
                object[name] = .string(String(piece))
            }
            return .object(object)
        })
    }

    /// `text` cut at every `separator`, each part trimmed of spaces and tabs; empty parts are
    /// dropped unless `keepEmpty` (which keeps positions for named fields).
    static func parts(of text: Substring, at separator: String, keepEmpty: Bool = false) -> [Substring] {
        var parts: [Substring] = []
        func add(_ part: Substring) {
            let trimmed = part.trimming(" \t")
            if keepEmpty || !trimmed.isEmpty { parts.append(trimmed) }
        }
        var rest = text
        while let range = rest.firstRange(of: separator) {
            add(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        add(rest)
        return parts
    }
}
