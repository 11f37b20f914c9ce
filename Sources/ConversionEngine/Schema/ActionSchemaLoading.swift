import JSONKit
import MappingKit

extension ActionSchema {
    /// Reads an action schema file:
    ///
    /// ```yaml
    /// actions: [reportOfflineEvent, trackPaymentOfflineConversion]
    /// fields:
    ///   email_addresses:
    ///     label: Email
    ///     type: string
    ///     multiple: true
    ///     pii: email
    ///     default: !path $.properties.email
    /// ```
    public init(json: JSON) throws(ActionSchemaError) {
        guard case .object(let root) = json else { throw .init("an action schema must be a mapping with 'actions' and 'fields'") }
        guard case .array(let names)? = root["actions"], !names.isEmpty,
            let strings = Optional(names.compactMap(\.stringValue)), strings.count == names.count
        else { throw .init("'actions' must be a non-empty list of action names") }
        guard case .object(let fieldsObject)? = root["fields"] else { throw .init("'fields' must map field keys to their declarations") }
        for key in root.keys where key != "actions" && key != "fields" && key != "description" {
            throw .init("unknown key '\(key)' (expected actions, fields, description)")
        }
        self.init(names: strings, fields: try Self.fields(fieldsObject, path: "fields"))
    }

    /// Reads an action schema from YAML text (directive tags such as `!path` allowed in defaults).
    public init(yaml text: String, file: String? = nil) throws(ActionSchemaError) {
        let document: YAMLDocument?
        do {
            document = try YAML.parse(text, file: file, limits: .default)
        } catch {
            throw .init("\(error)")
        }
        guard let document else { throw .init("\(file ?? "action schema"): the file is empty") }
        do {
            try self.init(json: try document.toJSON())
        } catch let error as ActionSchemaError {
            throw .init("\(file ?? "action schema"): \(error.message)")
        } catch {
            throw .init("\(file ?? "action schema"): \(error)")
        }
    }

    private static let fieldKeys: Set<String> = [
        "label", "description", "type", "multiple", "required", "choices", "pii", "default", "properties", "routing",
    ]

    private static func fields(_ object: JSONObject, path: String) throws(ActionSchemaError) -> [FieldSpec] {
        var specs: [FieldSpec] = []
        for (key, declaration) in object {
            let at = "\(path).\(key)"
            guard case .object(let d) = declaration else { throw .init("\(at): expected a field declaration") }
            for k in d.keys where !fieldKeys.contains(k) {
                throw .init("\(at): unknown key '\(k)' (expected \(fieldKeys.sorted().joined(separator: ", ")))")
            }
            guard let typeName = d["type"]?.stringValue, let type = FieldType(rawValue: typeName) else {
                throw .init("\(at).type: expected one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var spec = FieldSpec(key: key, type: type)
            spec.label = d["label"]?.stringValue
            spec.multiple = try flag(d["multiple"], at: "\(at).multiple")
            spec.required = try flag(d["required"], at: "\(at).required")
            spec.routing = try flag(d["routing"], at: "\(at).routing")
            if let choices = d["choices"] {
                guard case .array(let list) = choices, !list.isEmpty else { throw .init("\(at).choices: expected a list") }
                spec.choices = list
            }
            if let pii = d["pii"] {
                guard case .string(let category) = pii, !category.isEmpty else { throw .init("\(at).pii: expected a category name") }
                spec.pii = category
            }
            spec.defaultMapping = d["default"]
            if let properties = d["properties"] {
                guard type == .object, case .object(let p) = properties else {
                    throw .init("\(at).properties: only an object field may declare properties")
                }
                spec.properties = try fields(p, path: "\(at).properties")
            }
            specs.append(spec)
        }
        return specs
    }

    private static func flag(_ value: JSON?, at: String) throws(ActionSchemaError) -> Bool {
        switch value {
        case nil: false
        case .bool(let b)?: b
        default: throw .init("\(at): expected true or false")
        }
    }
}

/// Why an action schema could not be read.
public struct ActionSchemaError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
