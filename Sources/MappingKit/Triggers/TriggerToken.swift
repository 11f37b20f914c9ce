/// One token of FQL text, as the reference tokenizer (fql-ts) cuts it.
struct TriggerToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A name with its `\` escapes resolved. `true` and `false` are identifiers too.
        case identifier(String)
        /// `quote` is `"` or `'`; `text` is what stood between the quotes.
        case string(text: String, quote: Character)
        /// The number exactly as written (`-5`, `007`, `2.5`).
        case number(String)
        case null
        case and
        case or
        /// `!` directly before a letter or `(`.
        case not
        case equals
        case notEquals
        case less
        case lessOrEqual
        case greater
        case greaterOrEqual
        case dot
        case comma
        case leftBracket
        case rightBracket
        case leftParenthesis
        case rightParenthesis
        case end
    }

    var kind: Kind
    /// 1-based column of the token's first character.
    var column: Int

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .identifier(let name): "'\(name)'"
        case .string(let text, let quote): "\(quote)\(text)\(quote)"
        case .number(let text): text
        case .null: "null"
        case .and: "and"
        case .or: "or"
        case .not: "'!'"
        case .equals: "'='"
        case .notEquals: "'!='"
        case .less: "'<'"
        case .lessOrEqual: "'<='"
        case .greater: "'>'"
        case .greaterOrEqual: "'>='"
        case .dot: "'.'"
        case .comma: "','"
        case .leftBracket: "'['"
        case .rightBracket: "']'"
        case .leftParenthesis: "'('"
        case .rightParenthesis: "')'"
        case .end: "end of trigger"
        }
    }
}
