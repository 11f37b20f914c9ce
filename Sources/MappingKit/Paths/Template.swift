import JSONKit

/// A `@template` string, tokenised once.
///
/// Rendering replaces `{{{path}}}` placeholders first and `{{path}}` placeholders second, on
/// the text the first pass produced. Placeholder paths are trimmed and do not strip `$.`;
/// `null` and missing values render empty, anything else as JavaScript's `String()`.
struct Template: Sendable {
    private enum Part: Sendable {
        case text(String)
        case placeholder(PayloadPath)
    }

    private let source: String
    /// Pre-tokenised double-brace parts; `nil` when the template has triple-brace
    /// placeholders, whose output must be rescanned at render time.
    private let parts: [Part]?

    init(_ source: String) {
        self.source = source
        if Template.scan(source, braces: 3).contains(where: { if case .placeholder = $0 { true } else { false } }) {
            parts = nil
        } else {
            parts = Template.scan(source, braces: 2)
        }
    }

    /// Every placeholder path, in order (used to list the payload fields a mapping reads).
    var placeholderPaths: [String] {
        (parts ?? Template.scan(source, braces: 3) + Template.scan(source, braces: 2)).compactMap {
            if case .placeholder(let path) = $0 { path.text } else { nil }
        }
    }

    func render(_ payload: some MappingPayload) -> String {
        if let parts { return Template.render(parts, payload) }
        let firstPass = Template.render(Template.scan(source, braces: 3), payload)
        return Template.render(Template.scan(firstPass, braces: 2), payload)
    }

    private static func render(_ parts: [Part], _ payload: some MappingPayload) -> String {
        if parts.count == 1, case .text(let text) = parts[0] { return text }
        var output = ""
        for part in parts {
            switch part {
            case .text(let text):
                output += text
            case .placeholder(let path):
                if let value = payload.value(at: path), !value.isNull {
                    output += JavaScript.string(value)
                }
            }
        }
        return output
    }

    /// Splits text at placeholders of `braces` braces: that many `{`, one or more
    /// characters other than `}`, that many `}` — matched left to right like a global regex.
    private static func scan(_ text: String, braces: Int) -> [Part] {
        let bytes = Array(text.utf8)
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        var parts: [Part] = []
        var textStart = 0
        var i = 0
        while i + 2 * braces < bytes.count {
            guard (0..<braces).allSatisfy({ bytes[i + $0] == open }) else { i += 1; continue }
            var j = i + braces
            while j < bytes.count, bytes[j] != close { j += 1 }
            guard j > i + braces, j + braces <= bytes.count,
                (0..<braces).allSatisfy({ bytes[j + $0] == close })
            else { i += 1; continue }
            if textStart < i { parts.append(.text(String(decoding: bytes[textStart..<i], as: UTF8.self))) }
            let inner = String(decoding: bytes[(i + braces)..<j], as: UTF8.self)
            parts.append(.placeholder(PayloadPath(trimmed(inner), stripsDollarDot: false)))
            i = j + braces
            textStart = i
        }
        if textStart < bytes.count || parts.isEmpty {
            parts.append(.text(String(decoding: bytes[textStart...], as: UTF8.self)))
        }
        return parts
    }

    private static func trimmed(_ s: String) -> String {
        var sub = Substring(s)
        while let first = sub.first, first.isWhitespace { sub.removeFirst() }
        while let last = sub.last, last.isWhitespace { sub.removeLast() }
        return String(sub)
    }
}
