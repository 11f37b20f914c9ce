import JSONKit

/// The compiled form of a mapping: paths pre-split, templates tokenised, directive-free
/// sub-trees kept as ready-made JSON, and argument problems that the language reports at run
/// time turned into `failure` nodes. Resolving a node never re-parses the mapping.
///
/// Only the cases that nest nodes are `indirect`, so the hot leaves (`value`, `path`,
/// `template`) are read without going through a box.
enum MappingNode: Sendable {
    /// A raw value with no directive anywhere inside; returned as is.
    case value(JSON)
    /// "No value" (JavaScript's `undefined`).
    case undefined
    /// A raw object with directives inside; members that resolve to no value are left out.
    case object(keys: [String], members: [MappingNode])
    /// A raw array with directives inside; elements that resolve to no value become `null`.
    case array([MappingNode])
    /// A run-time error the mapping always raises when this node is reached.
    case failure(String)

    case path(PayloadPath)
    /// `@path` whose argument is itself a directive.
    indirect case computedPath(MappingNode)
    case template(Template)
    /// `@template` whose argument is itself a directive.
    indirect case computedTemplate(MappingNode)
    case condition(Condition)
    indirect case caseChange(operator: String?, value: MappingNode)
    indirect case replace(Replacement)
    indirect case arrayPath(root: MappingNode, shape: MappingNode?)
    indirect case json(mode: JSONMode, value: MappingNode)
    indirect case flatten(separator: MappingNode, value: MappingNode, omitArrays: Bool)
    indirect case merge(direction: MappingNode, objects: [MappingNode])
    indirect case transform(apply: MappingNode, mapping: MappingNode)
    indirect case excludeWhenNull(MappingNode)
    /// `@split` (this project's own): a delimited string into a list.
    indirect case split(Split)
}

extension MappingNode {
    /// `@if`: the test, and the branches that can be taken (`otherwise` only when the raw
    /// `else` is truthy). A class, so the hot `@if` nodes are shared rather than boxed.
    final class Condition: Sendable {
        enum Test: Sendable { case exists, blank }
        let test: Test
        let subject: MappingNode
        let then: MappingNode?
        let otherwise: MappingNode?
        /// `then` is the same mapping as the tested value (`exists: $.x, then: $.x`, the usual
        /// "use it if present" idiom), so the tested value is returned without a second lookup.
        let thenRepeatsSubject: Bool

        init(test: Test, subject: MappingNode, then: MappingNode?, otherwise: MappingNode?, thenRepeatsSubject: Bool) {
            self.test = test
            self.subject = subject
            self.then = then
            self.otherwise = otherwise
            self.thenRepeatsSubject = thenRepeatsSubject
        }
    }

    enum JSONMode: Sendable { case encode, decode, unknown }

    /// `@split`: `value` cut at `separator` into trimmed, non-empty parts; with `fields`, each
    /// part cut again at `fieldSeparator` into an object with those names (`"sku:2:9.5"` with
    /// fields `[content_id, quantity, price]` → `{content_id: "sku", quantity: "2", price: "9.5"}`;
    /// missing parts are left out, extra ones dropped).
    struct Split: Sendable {
        static let maxFields = 20
        /// At most this many parts: no destination takes more items in one list, and a list this
        /// long in one cell is a wrong separator, not an order.
        static let maxParts = 1_000
        let value: MappingNode
        let separator: String
        let fields: [String]?
        let fieldSeparator: String?
    }

    /// `@replace`, with its patterns and replacement templates prepared.
    struct Replacement: Sendable {
        let value: MappingNode
        let first: LiteralReplacement
        let second: LiteralReplacement?
        let ignoresCase: Bool
        let isGlobal: Bool
        /// `ignorecase` or `global` was given but is not a boolean: the result is `""`.
        let hasInvalidFlags: Bool
    }
}
