/// Cuts FQL text into tokens exactly as Segment's tokenizer (fql-ts 1.10) does, quirks
/// included: only space, tab and `\n` are whitespace; `<=`, `>=`, `!=`, `and`, `or` and
/// `null` count only when a terminator follows; identifiers take `\` escapes; strings have none.
struct TriggerLexer {
    /// Longest trigger text accepted, in Unicode scalars.
    static let maximumLength = 16_384

    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ source: String) {
        scalars = Array(source.unicodeScalars)
    }

    static func tokenize(_ source: String) throws(TriggerSyntaxError) -> [TriggerToken] {
        var lexer = TriggerLexer(source)
        return try lexer.tokenize()
    }

    mutating func tokenize() throws(TriggerSyntaxError) -> [TriggerToken] {
        guard scalars.count <= Self.maximumLength else {
            throw TriggerSyntaxError(
                message: "trigger is longer than \(Self.maximumLength) characters", column: 1)
        }
        var tokens: [TriggerToken] = []
        while true {
            let start = position
            guard let c = next() else {
                tokens.append(TriggerToken(kind: .end, column: start + 1))
                return tokens
            }
            if Self.isWhitespace(c) { continue }
            let kind: TriggerToken.Kind
            switch c {
            case "=": kind = .equals
            case "!": kind = try lexBang(at: start)
            case "<": kind = accept("=") ? .lessOrEqual : .less
            case ">": kind = accept("=") ? .greaterOrEqual : .greater
            case "\"", "'": kind = try lexString(quote: c, at: start)
            case ".": kind = .dot
            case ",": kind = .comma
            case "[": kind = .leftBracket
            case "]": kind = .rightBracket
            case "(": kind = .leftParenthesis
            case ")": kind = .rightParenthesis
            case "-", "+": kind = try lexNumber(first: c, at: start)
            default:
                if Self.isDigit(c) {
                    kind = try lexNumber(first: c, at: start)
                } else if Self.isLetter(c) || c == "_" || c == "\\" {
                    kind = try lexWord(first: c, at: start)
                } else {
                    throw TriggerSyntaxError(
                        message: "invalid character \(Self.describe(c))", column: start + 1,
                        expected: "a field, a value, an operator, 'and', 'or' or parentheses")
                }
            }
            tokens.append(TriggerToken(kind: kind, column: start + 1))
        }
    }

    // MARK: - Token kinds

    private mutating func lexBang(at start: Int) throws(TriggerSyntaxError) -> TriggerToken.Kind {
        if let c = peek(), Self.isLetter(c) || c == "(" { return .not }
        if accept("=") { return .notEquals }
        if peek() == "=" {
            throw TriggerSyntaxError(
                message: "'!=' must be followed by a space", column: start + 3,
                expected: "a space after '!='")
        }
        throw TriggerSyntaxError(
            message: "'!' must be followed directly by a field, a function, '(' or '='",
            column: start + 2, expected: "a letter, '(' or '=' after '!'")
    }

    private mutating func lexString(quote: Unicode.Scalar, at start: Int) throws(TriggerSyntaxError)
        -> TriggerToken.Kind
    {
        var text = String.UnicodeScalarView()
        while let c = next() {
            if c == quote { return .string(text: String(text), quote: Character(quote)) }
            text.append(c)
        }
        throw TriggerSyntaxError(
            message: "unterminated string", column: start + 1, expected: "a closing \(quote)")
    }

    private mutating func lexNumber(first: Unicode.Scalar, at start: Int) throws(TriggerSyntaxError)
        -> TriggerToken.Kind
    {
        var text = String(first)
        var sawPoint = false
        while let c = peek(), Self.isDigit(c) || c == "." {
            position += 1
            if c == "." {
                if Self.isTerminator(peek()) {
                    throw TriggerSyntaxError(
                        message: "a number cannot end with '.'", column: position,
                        expected: "digits after the decimal point")
                }
                if sawPoint {
                    throw TriggerSyntaxError(
                        message: "a number can have only one decimal point", column: position)
                }
                sawPoint = true
            }
            text.unicodeScalars.append(c)
        }
        return .number(text)
    }

    /// `and`, `or`, `null` (each only when a terminator follows) or an identifier.
    private mutating func lexWord(first: Unicode.Scalar, at start: Int) throws(TriggerSyntaxError)
        -> TriggerToken.Kind
    {
        switch first {
        case "a" where accept("nd"): return .and
        case "o" where accept("r"): return .or
        case "n" where accept("ull"): return .null
        default: break
        }
        var name = String.UnicodeScalarView()
        var c: Unicode.Scalar? = first
        while let current = c {
            if current == "\\" {
                guard let escaped = next() else {
                    throw TriggerSyntaxError(
                        message: "'\\' at the end of the trigger", column: position,
                        expected: "a character to escape after '\\'")
                }
                name.append(escaped)
            } else {
                name.append(current)
            }
            guard let following = peek(), Self.continuesIdentifier(following) else { break }
            c = next()
        }
        let after = peek()
        guard Self.isTerminator(after) || after == "." || after == "(" || after == "=" || after == "!"
        else {
            let problem = Self.startsToken(after!) ? "cannot follow" : "is an invalid character after"
            throw TriggerSyntaxError(
                message: "\(Self.describe(after!)) \(problem) the name '\(String(name))'",
                column: position + 1,
                expected: "a space, '.', '(', '=' or '!=' after a name")
        }
        return .identifier(String(name))
    }

    // MARK: - Reading

    private mutating func next() -> Unicode.Scalar? {
        guard position < scalars.count else { return nil }
        defer { position += 1 }
        return scalars[position]
    }

    private func peek() -> Unicode.Scalar? {
        position < scalars.count ? scalars[position] : nil
    }

    /// Consumes `word` when it comes next and is followed by a terminator.
    private mutating func accept(_ word: String) -> Bool {
        var i = position
        for c in word.unicodeScalars {
            guard i < scalars.count, scalars[i] == c else { return false }
            i += 1
        }
        guard Self.isTerminator(i < scalars.count ? scalars[i] : nil) else { return false }
        position = i
        return true
    }

    // MARK: - Character classes

    static func isWhitespace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" }
    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
    static func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }

    static func continuesIdentifier(_ c: Unicode.Scalar) -> Bool {
        isLetter(c) || isDigit(c) || c == "_" || c == "-" || c == "\\"
    }

    /// End of input, whitespace, `,`, `]` or `)`.
    static func isTerminator(_ c: Unicode.Scalar?) -> Bool {
        guard let c else { return true }
        return isWhitespace(c) || c == "," || c == "]" || c == ")"
    }

    /// Whether `c` can begin some token (so it is misplaced rather than invalid).
    static func startsToken(_ c: Unicode.Scalar) -> Bool {
        isLetter(c) || isDigit(c) || "_\\=!<>\"'.,[]()+-".unicodeScalars.contains(c)
    }

    static func describe(_ c: Unicode.Scalar) -> String {
        switch c {
        case "\r": "'\\r' (carriage return)"
        case "\0"..<" ", "\u{7F}": "U+\(String(c.value, radix: 16, uppercase: true))"
        default: "'\(c)'"
        }
    }
}
