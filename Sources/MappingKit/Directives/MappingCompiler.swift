import JSONKit

/// Turns mapping JSON into `MappingNode`s, with the reference's run-time semantics for every
/// argument shape (validation has already rejected most bad shapes, but raw arrays are not
/// validated, so anything can reach here).
enum MappingCompiler {
    static func compile(_ mapping: JSON?, at path: [String] = []) throws(MappingValidationError) -> MappingNode {
        guard let mapping else { return .undefined }
        switch mapping {
        case .object(let object):
            if let name = object.keys.first(where: { $0.hasPrefix("@") }) {
                return try compileDirective(name, object[name], at: path + [name])
            }
            guard containsDirective(mapping) else { return .value(mapping) }
            var members: [MappingNode] = []
            members.reserveCapacity(object.count)
            for (key, member) in object { members.append(try compile(member, at: path + [key])) }
            return .object(keys: Array(object.keys), members: members)
        case .array(let elements):
            guard containsDirective(mapping) else { return .value(mapping) }
            var nodes: [MappingNode] = []
            for (index, element) in elements.enumerated() { nodes.append(try compile(element, at: path + [String(index)])) }
            return .array(nodes)
        default:
            return .value(mapping)
        }
    }

    /// Compiles a full mapping as `transform` sees it: root-directive expansion, validation,
    /// then compilation. Expansion and validation problems become a `failure` node, since the
    /// reference reports them only when the directive runs; `@liquid` is still a compile error.
    static func compileSubMapping(_ mapping: JSON, at path: [String]) throws(MappingValidationError) -> MappingNode {
        let expanded: JSON
        do throws(MappingValidationError) {
            expanded = try RootDirective.expand(mapping)
            do throws(MappingValidator.Failure) {
                try MappingValidator.validate(expanded)
            } catch {
                throw MappingValidationError(issues: error.issues)
            }
        } catch {
            return .failure(error.issues.map(\.message).joined(separator: "\n"))
        }
        return try compile(expanded, at: path)
    }

    private static func containsDirective(_ value: JSON) -> Bool {
        switch value {
        case .object(let object):
            object.keys.contains { $0.hasPrefix("@") } || object.values.contains(where: containsDirective)
        case .array(let elements):
            elements.contains(where: containsDirective)
        default:
            false
        }
    }

    private static func compileDirective(
        _ name: String, _ argument: JSON?, at path: [String]
    ) throws(MappingValidationError) -> MappingNode {
        switch name {
        case "@path":
            if case .string(let text)? = argument { return .path(PayloadPath.interned(text, stripsDollarDot: true)) }
            return .computedPath(try compile(argument, at: path))
        case "@template":
            if case .string(let text)? = argument { return .template(Template(text)) }
            return .computedTemplate(try compile(argument, at: path))
        case "@literal":
            return try compile(argument, at: path)
        case "@excludeWhenNull":
            return .excludeWhenNull(try compile(argument, at: path))
        case "@if": return try compileIf(argument, at: path)
        case "@case": return try compileCase(argument, at: path)
        case "@replace": return try compileReplace(argument, at: path)
        case "@arrayPath": return try compileArrayPath(argument, at: path)
        case "@json": return try compileJSON(argument, at: path)
        case "@flatten": return try compileFlatten(argument, at: path)
        case "@merge": return try compileMerge(argument, at: path)
        case "@transform": return try compileTransform(argument, at: path)
        case "@split": return try compileSplit(argument, at: path)
        case "@liquid":
            let location = "/" + path.joined(separator: "/")
            throw MappingValidationError(issues: [MappingIssue(
                path: location, message: "\(location) is not supported; use @template, @if or @case.")])
        default:
            return .failure("\(name) is not a valid directive, got undefined")
        }
    }

    private static func isTruthy(_ value: JSON?) -> Bool { value?.isTruthy ?? false }

    private static func compileIf(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument else {
            return .failure("@if requires an object with an \"exists\" key")
        }
        guard isTruthy(options["exists"]) || isTruthy(options["blank"]) else {
            return .failure("@if requires an \"exists\" key or a \"blank\" key")
        }
        let test: MappingNode.Condition.Test = options["exists"] != nil ? .exists : .blank
        let key = test == .exists ? "exists" : "blank"
        return .condition(MappingNode.Condition(
            test: test,
            subject: try compile(options[key], at: path + [key]),
            then: try options["then"].map { (then) throws(MappingValidationError) in try compile(then, at: path + ["then"]) },
            otherwise: isTruthy(options["else"]) ? try compile(options["else"], at: path + ["else"]) : nil,
            thenRepeatsSubject: isPlainPath(options["then"]) && options["then"] == options[key]
        ))
    }

    /// `{"@path": "<text>"}`, whose result depends only on the payload.
    private static func isPlainPath(_ value: JSON?) -> Bool {
        guard case .object(let object)? = value, object.count == 1, case .string? = object["@path"] else { return false }
        return true
    }

    private static func compileCase(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument else {
            return .failure("@case requires an object with a \"operator\" key")
        }
        guard isTruthy(options["operator"]) else { return .failure("@case requires a \"operator\" key") }
        guard isTruthy(options["value"]) else { return .undefined }
        return .caseChange(operator: options["operator"]?.stringValue,
                           value: try compile(options["value"], at: path + ["value"]))
    }

    private static func compileReplace(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument else {
            return .failure("@replace requires an object with a \"pattern\" key")
        }
        guard let pattern = options["pattern"], pattern.isTruthy else {
            return .failure("@replace requires a \"pattern\" key")
        }
        guard isTruthy(options["value"]) else { return .undefined }
        func text(_ value: JSON?) -> String {
            guard let value, !value.isNull else { return "" }
            return JavaScript.string(value)
        }
        let patternText = text(pattern), replacementText = text(options["replacement"])
        if patternText.utf16.count > 10 { return .failure("@replace requires a \"pattern\" less than 10 characters") }
        if replacementText.utf16.count > 10 {
            return .failure("@replace requires a \"replacement\" less than 10 characters")
        }
        var second: LiteralReplacement?
        if case .string(let pattern2)? = options["pattern2"], !pattern2.isEmpty {
            second = LiteralReplacement(pattern: pattern2, replacement: text(options["replacement2"]))
        }
        func flag(_ key: String, default value: Bool) -> Bool? {
            guard let raw = options[key] else { return value }
            return raw.boolValue
        }
        let ignoresCase = flag("ignorecase", default: false), isGlobal = flag("global", default: true)
        return .replace(MappingNode.Replacement(
            value: try compile(options["value"], at: path + ["value"]),
            first: LiteralReplacement(pattern: patternText, replacement: replacementText),
            second: second,
            ignoresCase: ignoresCase ?? false,
            isGlobal: isGlobal ?? true,
            hasInvalidFlags: ignoresCase == nil || isGlobal == nil
        ))
    }

    private static func compileArrayPath(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .array(let items)? = argument else {
            return .failure("@arrayPath expected array, got \(JavaScript.typeName(argument))")
        }
        let root: MappingNode
        if case .string(let text)? = items.first {
            root = .path(PayloadPath.interned(text, stripsDollarDot: true))
        } else {
            root = try compile(items.first, at: path)
        }
        var shape: MappingNode?
        if items.count > 1, case .object(let object) = items[1], !object.isEmpty {
            shape = try compile(items[1], at: path)
        }
        return .arrayPath(root: root, shape: shape)
    }

    private static func compileJSON(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument else {
            return .failure("@json requires an object with a \"value\" key")
        }
        guard isTruthy(options["mode"]) else { return .failure("@json requires a \"mode\" key") }
        guard isTruthy(options["value"]) else { return .failure("@json requires a \"value\" key") }
        let mode: MappingNode.JSONMode = switch options["mode"]?.stringValue {
        case "encode": .encode
        case "decode": .decode
        default: .unknown
        }
        return .json(mode: mode, value: try compile(options["value"], at: path + ["value"]))
    }

    private static func compileFlatten(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument else {
            return .failure("@flatten requires an object with a \"separator\" key")
        }
        guard isTruthy(options["separator"]) else { return .failure("@flatten requires a \"separator\" key") }
        return .flatten(
            separator: try compile(options["separator"], at: path + ["separator"]),
            value: try compile(options["value"], at: path + ["value"]),
            omitArrays: isTruthy(options["omitArrays"])
        )
    }

    private static func compileMerge(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument else {
            return .failure("@merge requires an object with an \"objects\" key and a \"direction\" key")
        }
        guard isTruthy(options["direction"]) else { return .failure("@merge requires a \"direction\" key") }
        guard isTruthy(options["objects"]) else { return .failure("@merge requires a \"objects\" key") }
        guard case .array(let objects)? = options["objects"] else {
            // JavaScript `typeof`: objects and null are both "object".
            let type = options["objects"].map { $0.isNull || $0.objectValue != nil ? "object" : $0.typeName }
            return .failure("@merge: expected opts.array, got \(type ?? "undefined")")
        }
        var nodes: [MappingNode] = []
        for (index, object) in objects.enumerated() {
            nodes.append(try compile(object, at: path + ["objects", String(index)]))
        }
        return .merge(direction: try compile(options["direction"], at: path + ["direction"]), objects: nodes)
    }

    private static func compileSplit(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument, case .string(let separator)? = options["separator"], !separator.isEmpty else {
            return .failure("@split requires an object with a \"value\" key and a \"separator\" key")
        }
        let fields = options["fields"]?.arrayValue?.compactMap(\.stringValue)
        let fieldSeparator = options["field_separator"]?.stringValue
        if fields != nil && (fieldSeparator ?? "").isEmpty {
            return .failure("@split requires a \"field_separator\" key with \"fields\"")
        }
        return .split(MappingNode.Split(
            value: try compile(options["value"], at: path + ["value"]),
            separator: separator, fields: fields, fieldSeparator: fieldSeparator))
    }

    private static func compileTransform(_ argument: JSON?, at path: [String]) throws(MappingValidationError) -> MappingNode {
        guard case .object(let options)? = argument else {
            return .failure("@transform requires an object with an \"apply\" key and a \"mapping\" key")
        }
        guard isTruthy(options["mapping"]) else { return .failure("@transform requires a \"mapping\" key") }
        guard let apply = options["apply"], apply.isTruthy else { return .failure("@transform requires a \"apply\" key") }
        guard case .object = apply else { return .failure("@transform requires \"apply\" to be an object") }
        return .transform(
            apply: try compileSubMapping(apply, at: path + ["apply"]),
            mapping: try compile(options["mapping"], at: path + ["mapping"])
        )
    }
}

/// The `__segment_internal_directive` root key: `{__segment_internal_directive: {D: args}, k: v, ...}`
/// becomes `{D: args + {mapping: {k: v, ...}}}`.
enum RootDirective {
    static let key = "__segment_internal_directive"

    static func expand(_ mapping: JSON) throws(MappingValidationError) -> JSON {
        guard case .object(var object) = mapping, let root = object[key] else { return mapping }
        let location = "/\(key)"
        guard case .object(let directive) = root, directive.count == 1 else {
            throw MappingValidationError(issues: [MappingIssue(
                path: location, message: "The root mapping must only have a single directive object")])
        }
        guard case .object(var arguments) = directive.values[0] else {
            throw MappingValidationError(issues: [MappingIssue(
                path: location, message: "The root directive must be an object")])
        }
        object[key] = nil
        arguments["mapping"] = .object(object)
        var expanded = JSONObject()
        expanded.appendUnchecked(directive.keys[0], .object(arguments))
        return .object(expanded)
    }
}
