import JSONKit

/// Checks a mapping before it is compiled, reporting problems with the same paths and
/// messages as the reference implementation (`/neat/@json/mode should be one of encode,
/// decode but it is "oops".`).
///
/// Raw arrays are not descended into, and some argument problems (`@if` without `exists`,
/// `@merge` without `direction`, ...) are left to evaluation, exactly as the reference does.
enum MappingValidator {
    struct Failure: Error {
        var issues: [MappingIssue]
    }

    private typealias Check = @Sendable (JSON?, [String]) throws -> Void

    /// Every directive name the language knows (including `@liquid`, which is rejected later).
    static let directiveNames = [
        "@if", "@case", "@replace", "@arrayPath", "@path", "@json", "@flatten", "@merge",
        "@template", "@literal", "@transform", "@excludeWhenNull", "@split", "@liquid",
    ]

    static func validate(_ mapping: JSON?, _ stack: [String] = []) throws(Failure) {
        // The checks below only ever throw `Failure`.
        do { try check(mapping, stack) } catch { throw error as? Failure ?? Failure(issues: []) }
    }

    private static func check(_ mapping: JSON?, _ stack: [String]) throws {
        switch kind(of: mapping) {
        case "directive": try validateDirective(mapping, stack)
        case "object": try validateObject(mapping, stack)
        case "array": try validateArray(mapping, stack)
        default: return
        }
    }

    // MARK: - Building blocks

    private static func fail(_ message: String, _ stack: [String], suggestion: String? = nil) -> Failure {
        let path = "/" + stack.joined(separator: "/")
        return Failure(issues: [MappingIssue(path: path, message: "\(path) \(message).", suggestion: suggestion)])
    }

    /// The reference's type words, with `directive` for objects that have an `@` key.
    private static func kind(of value: JSON?) -> String {
        if case .object(let object)? = value, object.keys.contains(where: { $0.hasPrefix("@") }) {
            return "directive"
        }
        return JavaScript.typeName(value)
    }

    private static func article(_ word: String) -> String {
        switch word.first {
        case "a", "e", "i", "o", "u": "an \(word)"
        default: "a \(word)"
        }
    }

    private static func validateDirective(_ value: JSON?, _ stack: [String]) throws {
        guard case .object(let object)? = value else {
            throw fail("should be a directive object but it is \(article(kind(of: value)))", stack)
        }
        let directiveKeys = object.keys.filter { $0.hasPrefix("@") }
        if directiveKeys.count > 1 {
            throw fail("should only have one @-prefixed key but it has \(directiveKeys.count) keys", stack)
        }
        if object.keys.contains(where: { !$0.hasPrefix("@") && $0 != "_metadata" }) {
            throw fail("should only have one @-prefixed key but it has \(object.count) keys", stack)
        }
        let name = directiveKeys.first ?? "undefined"
        guard let check = directiveChecks[name] else {
            let candidates = directiveNames.filter { $0 != "@liquid" }
            throw fail("has an invalid directive: \(name)", stack,
                       suggestion: Suggestions.closest(to: name, among: candidates))
        }
        try check(object[name], stack + [name])
    }

    private static func validateDirectiveOrRaw(_ value: JSON?, _ stack: [String]) throws {
        let type = kind(of: value)
        switch type {
        case "directive": try validateDirective(value, stack)
        case "undefined":
            throw fail("should be a mapping directive or a JSON value but it is \(article(type))", stack)
        default: return
        }
    }

    private static func validateDirectiveOrString(_ value: JSON?, _ stack: [String]) throws {
        let type = kind(of: value)
        switch type {
        case "directive": try validateDirective(value, stack)
        case "string": return
        default: throw fail("should be a string or a mapping directive but it is \(article(type))", stack)
        }
    }

    private static func validateDirectiveOrObject(_ value: JSON?, _ stack: [String]) throws {
        let type = kind(of: value)
        switch type {
        case "directive": try validateDirective(value, stack)
        case "object": try validateObject(value, stack)
        // "a object" is the reference's wording.
        default: throw fail("should be a object or a mapping directive but it is \(article(type))", stack)
        }
    }

    private static func validateString(_ value: JSON?, _ stack: [String]) throws {
        let type = kind(of: value)
        if type != "string" { throw fail("should be a string but it is \(article(type))", stack) }
    }

    private static func validateStringLength(min: Int, max: Int) -> Check {
        { (value: JSON?, stack: [String]) throws in
            guard case .string(let s)? = value else { return }
            let length = s.utf16.count
            if length < min { throw fail("should be a string of length \(min) or greater", stack) }
            if length > max { throw fail("should be a string of length \(max) or less", stack) }
        }
    }

    private static func validateAllowedStrings(_ allowed: String...) -> Check {
        { (value: JSON?, stack: [String]) throws in
            try validateString(value, stack)
            guard case .string(let s)? = value, !allowed.contains(s.lowercased()) else { return }
            throw fail("should be one of \(allowed.joined(separator: ", ")) but it is \(JSON.string(s).serialized())", stack)
        }
    }

    /// `@split`'s `fields`: 1 to 20 distinct non-empty names.
    private static func validateSplitFields(_ value: JSON?, _ stack: [String]) throws {
        try validateArray(value, stack)
        let names = value?.arrayValue ?? []
        guard (1...MappingNode.Split.maxFields).contains(names.count) else {
            throw fail("should name 1 to \(MappingNode.Split.maxFields) fields", stack)
        }
        var seen = Set<String>()
        for (index, name) in names.enumerated() {
            guard case .string(let text) = name, !text.isEmpty else { throw fail("should be a non-empty string", stack + [String(index)]) }
            guard seen.insert(text).inserted else { throw fail("names \(JSON.string(text).serialized()) twice", stack) }
        }
    }

    private static func validateBoolean(_ value: JSON?, _ stack: [String]) throws {
        let type = kind(of: value)
        if type != "boolean" { throw fail("should be a boolean but it is \(article(type))", stack) }
    }

    private static func validateArray(_ value: JSON?, _ stack: [String]) throws {
        let type = JavaScript.typeName(value)
        if type != "array" { throw fail("should be an array but it is \(article(type))", stack) }
    }

    /// A plain object: every member is validated, and all their problems are reported together.
    private static func validateObject(_ value: JSON?, _ stack: [String]) throws {
        let type = kind(of: value)
        guard type == "object", case .object(let object)? = value else {
            throw fail("should be an object but it is \(article(type))", stack)
        }
        var issues: [MappingIssue] = []
        for (key, member) in object {
            do { try check(member, stack + [key]) } catch let error as Failure { issues += error.issues }
        }
        if !issues.isEmpty { throw Failure(issues: issues) }
    }

    private struct Field {
        let name: String
        let required: Bool
        let check: Check
    }

    private static func required(_ name: String, _ check: @escaping Check) -> Field {
        Field(name: name, required: true, check: check)
    }

    private static func optional(_ name: String, _ check: @escaping Check) -> Field {
        Field(name: name, required: false, check: check)
    }

    private static func all(_ checks: Check...) -> Check {
        { (value: JSON?, stack: [String]) throws in
            for check in checks { try check(value, stack) }
        }
    }

    private static func validateObject(_ value: JSON?, fields: [Field], _ stack: [String]) throws {
        try validateObject(value, stack)
        let object = value?.objectValue ?? JSONObject()
        var issues: [MappingIssue] = []
        for field in fields {
            do {
                if let member = object[field.name] {
                    try field.check(member, stack + [field.name])
                } else if field.required {
                    throw fail("should have field \"\(field.name)\" but it doesn't", stack)
                }
            } catch let error as Failure {
                issues += error.issues
            }
        }
        if !issues.isEmpty { throw Failure(issues: issues) }
    }

    // MARK: - Directive argument rules

    private static let directiveChecks: [String: Check] = [
        "@if": { (v, stack) throws in
            try validateObject(v, fields: [
                optional("exists", validateDirectiveOrRaw),
                optional("then", validateDirectiveOrRaw),
                optional("else", validateDirectiveOrRaw),
            ], stack)
        },
        "@case": { (v, stack) throws in
            try validateObject(v, fields: [
                optional("operator", validateString),
                optional("value", validateDirectiveOrString),
            ], stack)
        },
        "@replace": { (v, stack) throws in
            try validateObject(v, fields: [
                required("pattern", all(validateString, validateStringLength(min: 1, max: 10))),
                optional("replacement", all(validateString, validateStringLength(min: 0, max: 10))),
                required("value", validateDirectiveOrString),
                optional("ignorecase", validateBoolean),
                optional("global", validateBoolean),
            ], stack)
        },
        "@arrayPath": { (v, stack) throws in
            try validateArray(v, stack)
            let items = v?.arrayValue ?? []
            try validateDirectiveOrString(items.first, stack)
            try check(items.count > 1 ? items[1] : nil, stack)
        },
        "@path": { (v, stack) throws in try validateDirectiveOrString(v, stack) },
        "@template": { (v, stack) throws in try validateDirectiveOrString(v, stack) },
        "@literal": { (v, stack) throws in try validateDirectiveOrRaw(v, stack) },
        "@excludeWhenNull": { (v, stack) throws in try validateDirectiveOrRaw(v, stack) },
        "@json": { (v, stack) throws in
            try validateObject(v, fields: [
                required("value", validateDirectiveOrRaw),
                required("mode", validateAllowedStrings("encode", "decode")),
            ], stack)
        },
        "@flatten": { (v, stack) throws in
            try validateObject(v, fields: [
                optional("separator", validateString),
                required("value", validateDirectiveOrRaw),
            ], stack)
        },
        "@merge": { (v, stack) throws in
            try validateObject(v, fields: [
                optional("direction", validateAllowedStrings("left", "right")),
                required("objects", validateArray),
            ], stack)
            // The reference checks the items without a path, so their errors say "/".
            for item in v?["objects"]?.arrayValue ?? [] { try validateDirectiveOrObject(item, []) }
        },
        "@transform": { (v, stack) throws in
            try validateObject(v, fields: [
                required("apply", validateDirectiveOrObject),
                required("mapping", validateDirectiveOrObject),
            ], stack)
        },
        "@split": { (v, stack) throws in
            try validateObject(v, fields: [
                required("value", validateDirectiveOrRaw),
                required("separator", all(validateString, validateStringLength(min: 1, max: 10))),
                optional("fields", validateSplitFields),
                optional("field_separator", all(validateString, validateStringLength(min: 1, max: 10))),
            ], stack)
            if v?["fields"] != nil, v?["field_separator"] == nil {
                throw fail("should have field \"field_separator\" with \"fields\" but it doesn't", stack)
            }
        },
        "@liquid": { (v, stack) throws in
            try validateString(v, stack)
            throw fail("is not supported; use @template, @if or @case", stack)
        },
    ]
}
