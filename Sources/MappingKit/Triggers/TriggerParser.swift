import JSONKit

/// Reads FQL tokens into a `TriggerNode` with real precedence: `!` binds tighter than `and`,
/// which binds tighter than `or`; parentheses nest up to `maximumDepth`. Conditions are built
/// by Segment's rules (typed values, `= null`/`!= null` forms per field, `match()` quirks);
/// anything Segment would silently skip or misread is an error here.
struct TriggerParser {
    /// Deepest nesting of parentheses and `!` accepted.
    static let maximumDepth = 64

    private static let fieldNames = TriggerField.Section.allCases.map(\.rawValue)
    private static let expectedCondition =
        "a condition: a field (type, event, name, userId, properties.…, traits.…, context.…), contains(…), match(…), '!' or '('"

    private let tokens: [TriggerToken]
    private var index = 0
    /// How many parentheses enclose the current position.
    private var parenthesisDepth = 0
    private(set) var warnings: [TriggerWarning] = []

    private init(tokens: [TriggerToken]) {
        self.tokens = tokens
    }

    static func parse(_ source: String) throws(TriggerSyntaxError) -> (TriggerNode, [TriggerWarning]) {
        var parser = TriggerParser(tokens: try TriggerLexer.tokenize(source))
        let node = try parser.parseTrigger()
        return (node, parser.warnings)
    }

    // MARK: - Grammar

    private mutating func parseTrigger() throws(TriggerSyntaxError) -> TriggerNode {
        if case .end = current.kind {
            throw TriggerSyntaxError(message: "empty trigger", column: current.column, expected: Self.expectedCondition)
        }
        let node = try parseDisjunction(depth: 0)
        guard case .end = current.kind else { throw unexpectedAfterCondition() }
        return node
    }

    /// `conjunction ('or' conjunction)*`
    private mutating func parseDisjunction(depth: Int) throws(TriggerSyntaxError) -> TriggerNode {
        var alternatives: [TriggerNode] = []
        var conjuncts = [try parseUnary(depth: depth)]
        var connectives: [(TriggerConnective, column: Int)] = []
        loop: while true {
            switch current.kind {
            case .and:
                connectives.append((.and, current.column))
                advance()
                conjuncts.append(try parseUnary(depth: depth))
            case .or:
                connectives.append((.or, current.column))
                advance()
                alternatives.append(Self.group(.and, conjuncts))
                conjuncts = [try parseUnary(depth: depth)]
            default:
                break loop
            }
        }
        alternatives.append(Self.group(.and, conjuncts))
        warnIfMixed(connectives)
        return Self.group(.or, alternatives)
    }

    /// `'!' primary | primary`
    private mutating func parseUnary(depth: Int) throws(TriggerSyntaxError) -> TriggerNode {
        guard case .not = current.kind else { return try parsePrimary(depth: depth) }
        let bang = current
        advance()
        if let function = functionName() {
            return .condition(try parseFunction(function, negated: true))
        }
        guard depth < Self.maximumDepth else { throw tooDeep(at: bang) }
        warnings.append(
            TriggerWarning(
                message: "Segment ignores '!' before a condition or a group and would match the opposite events",
                column: bang.column))
        return .not(try parsePrimary(depth: depth + 1))
    }

    /// `'(' disjunction ')' | function | comparison`
    private mutating func parsePrimary(depth: Int) throws(TriggerSyntaxError) -> TriggerNode {
        let token = current
        switch token.kind {
        case .leftParenthesis:
            guard depth < Self.maximumDepth else { throw tooDeep(at: token) }
            if parenthesisDepth > 0 {
                warnings.append(
                    TriggerWarning(message: "Segment cannot read nested parentheses and rejects this trigger", column: token.column))
            }
            advance()
            parenthesisDepth += 1
            let inner = try parseDisjunction(depth: depth + 1)
            parenthesisDepth -= 1
            guard case .rightParenthesis = current.kind else {
                if case .end = current.kind {
                    throw TriggerSyntaxError(
                        message: "'(' at column \(token.column) is never closed", column: current.column,
                        expected: "')'")
                }
                throw unexpectedAfterCondition(closing: token)
            }
            advance()
            return inner
        case .identifier:
            if let function = functionName() {
                return .condition(try parseFunction(function, negated: false))
            }
            return .condition(try parseComparison())
        default:
            throw TriggerSyntaxError(
                message: "expected a condition, found \(token.display)", column: token.column,
                expected: Self.expectedCondition)
        }
    }

    /// `field operator value`, built by the reference's rules (FQL spec §4.4).
    private mutating func parseComparison() throws(TriggerSyntaxError) -> TriggerCondition {
        let fieldToken = current
        let field = try parseField()
        let operatorToken = current
        let written: TriggerComparison
        switch operatorToken.kind {
        case .equals: written = .equals
        case .notEquals: written = .notEquals
        case .less: written = .less
        case .lessOrEqual: written = .lessOrEqual
        case .greater: written = .greater
        case .greaterOrEqual: written = .greaterOrEqual
        default:
            throw TriggerSyntaxError(
                message: "expected an operator after \(fieldToken.display), found \(operatorToken.display)",
                column: operatorToken.column, expected: "=, !=, <, <=, > or >=")
        }
        advance()
        let valueToken = current
        let literal = try parseLiteral(after: operatorToken)
        return try Self.condition(field: field, comparison: written, literal: literal, valueToken: valueToken)
    }

    /// `contains(field, value)` or `match(field, "pattern")`, optionally negated.
    private mutating func parseFunction(_ name: String, negated: Bool) throws(TriggerSyntaxError) -> TriggerCondition {
        let nameToken = current
        if parenthesisDepth > 0 {
            warnings.append(
                TriggerWarning(
                    message: "Segment ends a parenthesised group at the ')' of \(name)() and reads the rest of it differently",
                    column: nameToken.column))
        }
        advance()  // the name
        advance()  // "("
        let fieldToken = current
        guard case .identifier = fieldToken.kind else {
            throw TriggerSyntaxError(
                message: "expected a field as the first argument of \(name)(), found \(fieldToken.display)",
                column: fieldToken.column, expected: "event, name, userId or a path under properties, traits or context")
        }
        let field = try parseField()
        if field.section == .type {
            throw TriggerSyntaxError(
                message: "\(name)() cannot test 'type' (Segment drops such a condition)", column: fieldToken.column,
                expected: "event, name, userId or a path under properties, traits or context")
        }
        try expect(.comma, "','", after: "the field of \(name)()")
        let valueToken = current
        let literal = try parseLiteral(after: nil)
        try expect(.rightParenthesis, "')'", after: "the arguments of \(name)()")

        if name == "contains" {
            guard let value = literal.typedValue else {
                throw TriggerSyntaxError(
                    message: "contains() needs text to look for, found null", column: valueToken.column,
                    expected: "a \"string\", a number, true or false")
            }
            return TriggerCondition(
                field: field, comparison: negated ? .notContains : .contains,
                value: .string(JavaScript.string(value)))
        }
        guard case .string(let text, let quote) = literal else {
            throw TriggerSyntaxError(
                message: "match() needs a quoted pattern, found \(valueToken.display)", column: valueToken.column,
                expected: "a pattern such as \"Order*\" or \"*Completed\"")
        }
        if quote == "\"" && text.hasSuffix("*") {
            return TriggerCondition(
                field: field, comparison: negated ? .notStartsWith : .startsWith,
                value: .string(String(text.unicodeScalars.dropLast())))
        }
        // Segment reads any other pattern as "ends with" minus its first character,
        // whatever that character is.
        let asWritten = JavaScript.string(literal.typedValue!)
        return TriggerCondition(
            field: field, comparison: negated ? .notEndsWith : .endsWith,
            value: .string(String(String.UnicodeScalarView(asWritten.unicodeScalars.dropFirst()))))
    }

    /// `identifier ('.' identifier)*`, checked against the field table.
    private mutating func parseField() throws(TriggerSyntaxError) -> TriggerField {
        let first = current
        guard case .identifier(var text) = first.kind else {
            throw TriggerSyntaxError(
                message: "expected a field, found \(first.display)", column: first.column, expected: Self.expectedCondition)
        }
        advance()
        while case .dot = current.kind {
            let dot = current
            advance()
            guard case .identifier(let segment) = current.kind else {
                var expected = "a name after '.'"
                if case .number = current.kind { expected += " (a segment must start with a letter, '_' or '\\'; write \\0 for a key \"0\")" }
                throw TriggerSyntaxError(
                    message: "expected a field name after '.' at column \(dot.column), found \(current.display)",
                    column: current.column, expected: expected)
            }
            text += "." + segment
            advance()
        }
        let sectionName = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
        guard let section = TriggerField.Section(rawValue: sectionName) else {
            throw unknownField(sectionName, at: first.column)
        }
        let rest = text.count > sectionName.count ? String(text.dropFirst(sectionName.count + 1)) : nil
        if section.takesPath {
            guard let rest, !rest.isEmpty else {
                throw TriggerSyntaxError(
                    message: "'\(sectionName)' needs a path, such as \(sectionName).total", column: first.column,
                    expected: "'.' and a name after '\(sectionName)'")
            }
            return TriggerField(section: section, path: rest)
        }
        if rest != nil {
            throw TriggerSyntaxError(
                message: "'\(sectionName)' has no sub-fields (Segment would silently read '\(sectionName)' itself)",
                column: first.column, expected: "'\(sectionName)' without a path")
        }
        return TriggerField(section: section, path: nil)
    }

    // MARK: - Values

    /// A value as written; strings keep Segment's treatment of single quotes.
    enum Literal {
        case string(String, quote: Character)
        case number(Double)
        case boolean(Bool)
        case null

        /// The reference's typed value: double quotes removed, single quotes kept.
        var typedValue: JSON? {
            switch self {
            case .string(let text, let quote): .string(quote == "\"" ? text : "\(quote)\(text)\(quote)")
            case .number(let n): JavaScript.json(n)
            case .boolean(let b): .bool(b)
            case .null: nil
            }
        }
    }

    private mutating func parseLiteral(after operatorToken: TriggerToken?) throws(TriggerSyntaxError) -> Literal {
        let token = current
        let literal: Literal
        switch token.kind {
        case .string(let text, let quote):
            if quote != "\"" {
                warnings.append(
                    TriggerWarning(
                        message: "single quotes are part of the value here, so this compares with \(token.display) including its quotes; use double quotes",
                        column: token.column))
            }
            literal = .string(text, quote: quote)
        case .number(let text):
            guard text.unicodeScalars.contains(where: { ("0"..."9").contains($0) }) else {
                throw TriggerSyntaxError(
                    message: "'\(text)' is not a number", column: token.column, expected: "digits after '\(text)'")
            }
            literal = .number(JavaScript.number(parsing: text))
        case .identifier("true"): literal = .boolean(true)
        case .identifier("false"): literal = .boolean(false)
        case .null: literal = .null
        default:
            var message = "expected a value, found \(token.display)"
            if let operatorToken, token.kind == .equals, token.column == operatorToken.column + 1,
                operatorToken.kind == .less || operatorToken.kind == .greater
            {
                message += " ('\(operatorToken.kind == .less ? "<" : ">")=' must be followed by a space, or it is read as two operators)"
            } else if case .identifier = token.kind {
                message += " (text values go in double quotes)"
            }
            throw TriggerSyntaxError(
                message: message, column: token.column, expected: "a value: a \"string\", a number, true, false or null")
        }
        advance()
        return literal
    }

    /// Segment's special forms (FQL spec §4.4), checked in order.
    private static func condition(
        field: TriggerField, comparison written: TriggerComparison, literal: Literal, valueToken: TriggerToken
    ) throws(TriggerSyntaxError) -> TriggerCondition {
        let section = field.section
        let isTextOnly = section == .type || section == .event  // `null` is text for these
        let isPathOrUser = section.takesPath || section == .userId  // `true`/`false` become is_true/is_false
        switch (written, literal) {
        case (.notEquals, .null) where !isTextOnly:
            return TriggerCondition(field: field, comparison: .exists, value: nil)
        case (.equals, .null) where !isTextOnly:
            return TriggerCondition(field: field, comparison: .notExists, value: nil)
        case (.equals, .null), (.notEquals, .null):
            return TriggerCondition(field: field, comparison: written, value: "null")
        case (.less, .null), (.lessOrEqual, .null), (.greater, .null), (.greaterOrEqual, .null),
            (.less, .boolean), (.lessOrEqual, .boolean), (.greater, .boolean), (.greaterOrEqual, .boolean):
            throw TriggerSyntaxError(
                message: "'\(written.rawValue)' compares numbers, found \(valueToken.display)", column: valueToken.column,
                expected: "a number")
        case (.less, .string(let text, _)), (.lessOrEqual, .string(let text, _)),
            (.greater, .string(let text, _)), (.greaterOrEqual, .string(let text, _)):
            // Segment converts the text to a number; text that is none makes a condition that
            // can never match (and has no FQL text to write back), which is never what was meant.
            let number = JavaScript.number(.string(literal.typedValue?.stringValue ?? text))
            guard !number.isNaN else {
                throw TriggerSyntaxError(
                    message: "'\(written.rawValue)' compares numbers and \(valueToken.display) is not one, so this condition could never match",
                    column: valueToken.column, expected: "a number")
            }
            guard number.isFinite else {
                throw TriggerSyntaxError(message: "\(valueToken.display) is too large a number", column: valueToken.column, expected: "a finite number")
            }
            let typed = literal.typedValue!
            return TriggerCondition(field: field, comparison: written, value: section.takesPath ? typed : .string(JavaScript.string(typed)))
        case (_, .number(let n)) where !n.isFinite:
            throw TriggerSyntaxError(
                message: "\(valueToken.display) is \(n.isNaN ? "not a number" : "too large a number")", column: valueToken.column,
                expected: "a finite number")
        case (.equals, .boolean(let b)) where isPathOrUser:
            return TriggerCondition(field: field, comparison: b ? .isTrue : .isFalse, value: nil)
        case (.equals, .number(let n)) where section.takesPath:
            return TriggerCondition(field: field, comparison: .numberEquals, value: JavaScript.json(n))
        case (.notEquals, .number(let n)) where section.takesPath:
            return TriggerCondition(field: field, comparison: .numberNotEquals, value: JavaScript.json(n))
        default:
            let typed = literal.typedValue!
            let value = section.takesPath ? typed : .string(JavaScript.string(typed))
            return TriggerCondition(field: field, comparison: written, value: value)
        }
    }

    // MARK: - Helpers

    private var current: TriggerToken { tokens[index] }

    private mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    /// `contains` or `match` when directly followed by `(`.
    private func functionName() -> String? {
        guard case .identifier(let name) = current.kind, name == "contains" || name == "match",
            index + 1 < tokens.count, tokens[index + 1].kind == .leftParenthesis
        else { return nil }
        return name
    }

    private mutating func expect(_ kind: TriggerToken.Kind, _ shown: String, after what: String) throws(TriggerSyntaxError) {
        guard current.kind == kind else {
            throw TriggerSyntaxError(
                message: "expected \(shown) after \(what), found \(current.display)", column: current.column, expected: shown)
        }
        advance()
    }

    private func unexpectedAfterCondition(closing: TriggerToken? = nil) -> TriggerSyntaxError {
        let token = current
        let expected = closing == nil ? "'and', 'or' or the end of the trigger" : "'and', 'or' or ')'"
        if case .rightParenthesis = token.kind {
            return TriggerSyntaxError(message: "')' without a matching '('", column: token.column, expected: expected)
        }
        if case .identifier(let word) = token.kind, word == "and" || word == "or",
            index + 1 < tokens.count, tokens[index + 1].kind == .leftParenthesis
        {
            return TriggerSyntaxError(
                message: "'\(word)(' is read as a name; put a space between '\(word)' and '('", column: token.column,
                expected: expected)
        }
        return TriggerSyntaxError(
            message: "expected \(expected) after a condition, found \(token.display)", column: token.column,
            expected: expected)
    }

    private func unknownField(_ name: String, at column: Int) -> TriggerSyntaxError {
        var message = "unknown field '\(name)'"
        if name == "anonymousId" || name == "messageId" {
            message += " (triggers cannot test \(name))"
        } else if let suggestion = Suggestions.closest(to: name, among: Self.fieldNames + ["contains", "match"]) {
            message += "; did you mean '\(suggestion)'?"
        }
        return TriggerSyntaxError(
            message: message, column: column,
            expected: "type, event, name, userId, properties.…, traits.…, context.…, contains(…) or match(…)")
    }

    private func tooDeep(at token: TriggerToken) -> TriggerSyntaxError {
        TriggerSyntaxError(
            message: "nested more than \(Self.maximumDepth) levels deep", column: token.column,
            expected: "fewer parentheses or '!'")
    }

    private mutating func warnIfMixed(_ connectives: [(TriggerConnective, column: Int)]) {
        guard let first = connectives.first?.0, let other = connectives.first(where: { $0.0 != first }),
            let last = connectives.last?.0
        else { return }
        warnings.append(
            TriggerWarning(
                message: "'and' and 'or' are mixed without parentheses: here 'and' binds tighter, but Segment applies the last connective ('\(last.rawValue)') to every condition at this level; add parentheses",
                column: other.column))
    }

    private static func group(_ connective: TriggerConnective, _ nodes: [TriggerNode]) -> TriggerNode {
        nodes.count == 1 ? nodes[0] : .group(connective, nodes)
    }
}
