import JSONKit

/// Replaces literal occurrences of a pattern, as JavaScript's `String.replace` does with an
/// escaped pattern: the replacement understands `$$`, `$&`, `` $` `` and `$'`; anything
/// else after `$` (such as `$1`) stays literal.
struct LiteralReplacement: Sendable {
    private enum Token: Sendable {
        case text(String)
        case match, before, after
    }

    private let pattern: [Unicode.Scalar]
    private let foldedPattern: [Unicode.Scalar]
    private let tokens: [Token]

    /// `pattern` must not be empty.
    init(pattern: String, replacement: String) {
        self.pattern = Array(pattern.unicodeScalars)
        foldedPattern = self.pattern.map(LiteralReplacement.fold)
        tokens = LiteralReplacement.tokenize(replacement)
    }

    /// The longest result allowed, in Unicode scalars: `$'` and `` $` `` repeat the input once
    /// per match, so a hostile value could otherwise grow quadratically.
    static let maximumResultLength = 1 << 20

    func apply(to text: String, ignoringCase: Bool, global: Bool) throws(MappingEvaluationError) -> String {
        guard !pattern.isEmpty else { return text }
        let scalars = Array(text.unicodeScalars)
        let haystack = ignoringCase ? scalars.map(LiteralReplacement.fold) : scalars
        let needle = ignoringCase ? foldedPattern : pattern
        var output = String.UnicodeScalarView()
        var copied = 0
        var i = 0
        while i + needle.count <= haystack.count {
            guard haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) else {
                i += 1
                continue
            }
            output.append(contentsOf: scalars[copied..<i])
            let end = i + needle.count
            for token in tokens {
                switch token {
                case .text(let s): output.append(contentsOf: s.unicodeScalars)
                case .match: output.append(contentsOf: scalars[i..<end])
                case .before: output.append(contentsOf: scalars[..<i])
                case .after: output.append(contentsOf: scalars[end...])
                }
            }
            if output.count > LiteralReplacement.maximumResultLength {
                throw MappingEvaluationError(
                    message: "@replace result is longer than \(LiteralReplacement.maximumResultLength) characters")
            }
            copied = end
            i = end
            if !global { break }
        }
        if copied == 0 { return text }
        output.append(contentsOf: scalars[copied...])
        return String(output)
    }

    /// Simple case folding for case-insensitive matching (upper-case when that is one scalar).
    private static func fold(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            let v = scalar.value
            return v >= 0x61 && v <= 0x7A ? Unicode.Scalar(v - 32)! : scalar
        }
        let upper = scalar.properties.uppercaseMapping.unicodeScalars
        return upper.count == 1 ? upper.first! : scalar
    }

    private static func tokenize(_ replacement: String) -> [Token] {
        var tokens: [Token] = []
        var text = String.UnicodeScalarView()
        var scalars = replacement.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = scalars.next()
        func flush() {
            if !text.isEmpty { tokens.append(.text(String(text))) }
            text.removeAll()
        }
        while let scalar = pending {
            pending = scalars.next()
            guard scalar == "$", let next = pending else {
                text.append(scalar)
                continue
            }
            switch next {
            case "$": text.append("$")
            case "&": flush(); tokens.append(.match)
            case "`": flush(); tokens.append(.before)
            case "'": flush(); tokens.append(.after)
            default:
                text.append(scalar)
                continue
            }
            pending = scalars.next()
        }
        flush()
        return tokens
    }
}
