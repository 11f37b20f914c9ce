import JSONKit

/// Writes a `TriggerNode` back as FQL: Segment's generator (FQL spec §7) for what the reference
/// can express, and `!( … )` / nested parentheses for the rest, so the text re-parses to an
/// equal node.
enum TriggerGenerator {
    static func source(for node: TriggerNode) -> String {
        switch node {
        case .group:
            let text = expression(node, nested: false)
            // Segment drops a single pair of parentheses around the whole text.
            if text.hasPrefix("("), text.hasSuffix(")"), text.unicodeScalars.count(where: { $0 == "(" || $0 == ")" }) == 2 {
                return String(text.dropFirst().dropLast())
            }
            return text
        case .condition, .not:
            return expression(node, nested: false)
        }
    }

    private static func expression(_ node: TriggerNode, nested: Bool) -> String {
        switch node {
        case .condition(let condition):
            return self.condition(condition)
        case .group(let connective, let children):
            let text = children.map { expression($0, nested: true) }.joined(separator: " \(connective.rawValue) ")
            return nested ? "(\(text))" : text
        case .not(let inner):
            if case .group = inner { return "!\(expression(inner, nested: true))" }
            return "!(\(expression(inner, nested: false)))"
        }
    }

    private static func condition(_ condition: TriggerCondition) -> String {
        let field = fieldName(condition.field)
        let value = condition.value ?? .null
        switch condition.comparison {
        case .contains: return "contains(\(field), \(literal(value)))"
        case .notContains: return "!contains(\(field), \(literal(value)))"
        case .exists: return "\(field) != null"
        case .notExists: return "\(field) = null"
        case .isTrue: return "\(field) = true"
        case .isFalse: return "\(field) = false"
        case .startsWith: return "match(\(field), \"\(JavaScript.string(value))*\")"
        case .notStartsWith: return "!match(\(field), \"\(JavaScript.string(value))*\")"
        case .endsWith: return "match(\(field), \"*\(JavaScript.string(value))\")"
        case .notEndsWith: return "!match(\(field), \"*\(JavaScript.string(value))\")"
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            return "\(field) \(condition.comparison.rawValue) \(number(JavaScript.number(value)))"
        case .numberEquals: return "\(field) = \(number(JavaScript.number(value)))"
        case .numberNotEquals: return "\(field) != \(number(JavaScript.number(value)))"
        case .equals, .notEquals: return "\(field) \(condition.comparison.rawValue) \(literal(value))"
        }
    }

    /// Numbers and booleans bare, anything else quoted the way it was written: in double
    /// quotes, or (text that holds a double quote, which FQL cannot escape) as the
    /// single-quoted token it came from, whose quotes are part of the value.
    private static func literal(_ value: JSON) -> String {
        switch value {
        case .int, .double: return number(JavaScript.number(value))
        case .bool: return JavaScript.string(value)
        default:
            let text = JavaScript.string(value)
            if text.contains("\""), text.count >= 2, text.first == "'", text.last == "'" { return text }
            return "\"\(text)\""
        }
    }

    /// A number as FQL reads it: JavaScript's text, but in plain decimal notation where that
    /// uses an exponent (`1e+21` is not an FQL number; `1000000000000000000000` is the same one).
    static func number(_ value: Double) -> String {
        let text = JSNumber.format(value)
        guard let e = text.firstIndex(of: "e"), let exponent = Int(text[text.index(after: e)...]) else { return text }
        let mantissa = text[..<e]
        let sign = mantissa.hasPrefix("-") ? "-" : ""
        let digits = mantissa.filter(\.isNumber)  // JavaScript writes one digit before the point
        let integerDigits = 1 + exponent
        if integerDigits >= digits.count {
            return sign + digits + String(repeating: "0", count: integerDigits - digits.count)
        }
        if integerDigits > 0 {
            return sign + digits.prefix(integerDigits) + "." + digits.dropFirst(integerDigits)
        }
        return sign + "0." + String(repeating: "0", count: -integerDigits) + digits
    }

    private static func fieldName(_ field: TriggerField) -> String {
        guard let path = field.path else { return field.section.rawValue }
        return "\(field.section.rawValue).\(escaped(path))"
    }

    /// Segment escapes every character outside `[A-Za-z0-9._-]` with `\`. So that the text
    /// lexes back, a name that starts with a digit or `-`, or is a keyword, also has its first
    /// character escaped, and a `.` is written as a separator only between two non-empty names
    /// (elsewhere, as from `\.` in the source, it is escaped into the name it belongs to).
    private static func escaped(_ path: String) -> String {
        let scalars = Array(path.unicodeScalars)
        var names: [[Unicode.Scalar]] = [[]]
        for (i, c) in scalars.enumerated() {
            if c == ".", !names[names.count - 1].isEmpty, i + 1 < scalars.count, scalars[i + 1] != "." {
                names.append([])
            } else {
                names[names.count - 1].append(c)
            }
        }
        var out = String.UnicodeScalarView()
        for (i, name) in names.enumerated() {
            if i > 0 { out.append(".") }
            let text = String(String.UnicodeScalarView(name))
            let isKeyword = text == "and" || text == "or" || text == "null"
            for (j, c) in name.enumerated() {
                let plain = TriggerLexer.isLetter(c) || TriggerLexer.isDigit(c) || c == "_" || c == "-"
                let startsBadly = j == 0 && (TriggerLexer.isDigit(c) || c == "-" || isKeyword)
                if !plain || startsBadly { out.append("\\") }
                out.append(c)
            }
        }
        return String(out)
    }
}
