import JSONKit

/// What a node's tag asks for.
enum YAMLTag {
    /// No tag, or the non-specific `!`.
    case none
    case standard(Standard)
    /// `!path`, `!arrayPath`, …: sugar for the `@`-directive of that name.
    case directive(String)
    /// A tag that cannot be honoured, with the message that says why.
    case unsupported(String)

    /// The `tag:yaml.org,2002:` tags that JSON can represent.
    enum Standard: String {
        case string = "str"
        case int
        case float
        case bool
        case null
        case mapping = "map"
        case sequence = "seq"

        /// As written in a document: `!!str`.
        var written: String { "!!" + rawValue }
    }

    /// The mapping directives that may be written as tags.
    static let directiveNames = [
        "path", "if", "arrayPath", "template", "literal", "case", "replace", "json", "flatten", "merge",
        "transform", "excludeWhenNull", "split",
    ]

    private static let standardPrefix = "tag:yaml.org,2002:"

    init(_ tag: String?) {
        guard let tag, tag != "!" else {
            self = .none
            return
        }
        if tag.hasPrefix(YAMLTag.standardPrefix) {
            let name = String(tag.dropFirst(YAMLTag.standardPrefix.count))
            if let standard = Standard(rawValue: name) {
                self = .standard(standard)
            } else {
                self = .unsupported("unsupported tag !!\(name); JSON only has !!str, !!int, !!float, !!bool, !!null, !!map and !!seq")
            }
            return
        }
        guard tag.hasPrefix("!") else {
            self = .unsupported("unsupported tag \(tag)")
            return
        }
        let name = String(tag.dropFirst())
        if YAMLTag.directiveNames.contains(name) {
            self = .directive(name)
        } else if name == "liquid" {
            self = .unsupported("`@liquid` is not supported")
        } else if let suggestion = Suggestions.closest(to: name, among: YAMLTag.directiveNames) {
            self = .unsupported("unknown tag \(tag) — did you mean !\(suggestion)?")
        } else {
            self = .unsupported(
                "unknown tag \(tag); the directive tags are "
                    + YAMLTag.directiveNames.map { "!" + $0 }.joined(separator: ", "))
        }
    }
}
