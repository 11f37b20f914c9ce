import JSONKit

/// Conversion between `TriggerNode` and the reference's JSON AST (FQL spec §5).
enum TriggerReferenceAST {
    /// The AST JSON, or `nil` when the node uses what the reference cannot express:
    /// negation of a condition or group, or a group inside a parenthesised group.
    static func json(for node: TriggerNode) -> JSON? {
        switch node {
        case .condition:
            return json(for: .group(.and, [node]))
        case .not:
            return nil
        case .group(let connective, let children):
            var converted: [JSON] = []
            for child in children {
                switch child {
                case .condition(let condition):
                    converted.append(json(for: condition))
                case .group(let inner, let grandchildren):
                    var items: [JSON] = []
                    for grandchild in grandchildren {
                        guard case .condition(let condition) = grandchild else { return nil }
                        items.append(json(for: condition))
                    }
                    converted.append(group(inner, items))
                case .not:
                    return nil
                }
            }
            return group(connective, converted)
        }
    }

    static func json(for condition: TriggerCondition) -> JSON {
        var object = JSONObject(minimumCapacity: 4)
        object["type"] = .string(condition.field.section.astType)
        if let path = condition.field.path { object["name"] = .string(path) }
        object["operator"] = .string(condition.comparison.rawValue)
        if let value = condition.value { object["value"] = value }
        return .object(object)
    }

    private static func group(_ connective: TriggerConnective, _ children: [JSON]) -> JSON {
        ["type": "group", "operator": .string(connective.rawValue), "children": .array(children)]
    }

    /// Reads an AST (a group at the top). Throws for anything the reference's validator would
    /// not understand: unknown types or operators, missing names, values of the wrong kind.
    static func node(from json: JSON) throws(TriggerSyntaxError) -> TriggerNode {
        guard json["type"]?.stringValue == "group" else {
            throw invalid("the top of a trigger AST must be a group")
        }
        return try node(from: json, depth: 0)
    }

    private static func node(from json: JSON, depth: Int) throws(TriggerSyntaxError) -> TriggerNode {
        guard case .object(let object) = json, let type = object["type"]?.stringValue else {
            throw invalid("an AST node must be an object with a string \"type\"")
        }
        guard depth < TriggerParser.maximumDepth else {
            throw invalid("AST nested more than \(TriggerParser.maximumDepth) levels deep")
        }
        if type == "group" {
            guard let word = object["operator"]?.stringValue, let connective = TriggerConnective(rawValue: word) else {
                throw invalid("a group's \"operator\" must be \"and\" or \"or\"")
            }
            guard case .array(let children)? = object["children"] else {
                throw invalid("a group needs an array of \"children\"")
            }
            var nodes: [TriggerNode] = []
            for child in children { nodes.append(try node(from: child, depth: depth + 1)) }
            return .group(connective, nodes)
        }
        guard let section = TriggerField.Section(astType: type) else {
            throw invalid("unknown condition type \"\(type)\"")
        }
        guard let word = object["operator"]?.stringValue, let comparison = TriggerComparison(rawValue: word) else {
            throw invalid("unknown or missing operator in a \"\(type)\" condition")
        }
        var path: String?
        if section.takesPath {
            guard let name = object["name"]?.stringValue else {
                throw invalid("a \"\(type)\" condition needs a string \"name\"")
            }
            path = name
        }
        let value = object["value"]
        switch value {
        case nil where comparison.takesValue:
            throw invalid("operator \"\(word)\" needs a \"value\"")
        case .string?, .int?, .double?, .bool?, nil:
            break
        default:
            throw invalid("a condition's \"value\" must be a string, number or boolean")
        }
        return .condition(
            TriggerCondition(
                field: TriggerField(section: section, path: path), comparison: comparison,
                value: comparison.takesValue ? value : nil))
    }

    private static func invalid(_ message: String) -> TriggerSyntaxError {
        TriggerSyntaxError(message: message, column: 0)
    }
}
