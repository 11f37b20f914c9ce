import JSONKit

/// A compiled trigger ("FQL" subscription): decides whether a mapping fires for an event.
///
/// Reads Segment's trigger language with its value semantics, but with real precedence
/// (`!` over `and` over `or`), nesting parentheses and `!` on any condition or group. Unknown
/// fields and malformed text are errors, and only JSON objects can match.
///
/// ```swift
/// let trigger = try Trigger(#"type = "track" and (event = "Order Completed" or event = "Checkout")"#)
/// trigger.matches(event)
/// ```
public struct Trigger: Sendable {
    /// The FQL text the trigger was built from (for an AST-built trigger, its canonical text).
    public var source: String { storage.source }
    /// Lint findings that are not errors, e.g. `and` and `or` mixed at one level without
    /// parentheses (Segment would read it differently). Each has a message and 1-based column.
    public var warnings: [TriggerWarning] { storage.warnings }

    var node: TriggerNode { storage.node }

    /// Everything in one shared, immutable box: routing reads every mapping's trigger for
    /// every event, and copying a trigger then costs one reference count, not one per part.
    private final class Storage: Sendable {
        let source: String
        let warnings: [TriggerWarning]
        let node: TriggerNode
        let matcher: TriggerMatcher

        init(source: String, node: TriggerNode, warnings: [TriggerWarning]) {
            self.source = source
            self.node = node
            self.warnings = warnings
            self.matcher = TriggerMatcher(node)
        }
    }

    private let storage: Storage

    /// Parses and compiles once. Throws `TriggerSyntaxError`. The word `all` (this engine's
    /// own, not FQL) fires for every event: for inputs that hold one kind of event only, such
    /// as a CSV file's rows, whose columns FQL's fields cannot name.
    public init(_ source: String) throws {
        if source.trimming(" \t\n") == "all" {
            self.init(source: "all", node: .group(.and, []), warnings: [])
            return
        }
        let (node, warnings) = try TriggerParser.parse(source)
        self.init(source: source, node: node, warnings: warnings)
    }

    /// Whether this is the `all` trigger (every event fires it).
    public var firesForEveryEvent: Bool { node == .group(.and, []) }

    /// Builds a trigger from the reference's JSON AST (§5) — used by vectors whose subscription
    /// is null. Throws `TriggerSyntaxError` (column 0) for an AST the reference would not understand.
    public init(referenceAST: JSON) throws {
        let node = try TriggerReferenceAST.node(from: referenceAST)
        self.init(source: TriggerGenerator.source(for: node), node: node, warnings: [])
    }

    private init(source: String, node: TriggerNode, warnings: [TriggerWarning]) {
        storage = Storage(source: source, node: node, warnings: warnings)
    }

    /// Whether `event` fires this trigger. Anything but a JSON object never matches.
    public func matches(_ event: JSON) -> Bool {
        guard case .object(let object) = event else { return false }
        return storage.matcher.matches(object)
    }

    /// Whether the event in `document` fires this trigger, read in place (same answers as
    /// ``matches(_:)-(JSON)``). Anything but an object never matches.
    public func matches(_ document: JSONDocument) -> Bool {
        document.isObject && storage.matcher.matches(document)
    }

    /// The reference's AST JSON for this trigger when it has one (no nested/negated groups), else nil.
    public var referenceAST: JSON? {
        TriggerReferenceAST.json(for: node)
    }

    /// Canonical FQL text (generator §7 for reference-expressible triggers; for nested ones,
    /// parentheses as needed so it re-parses to the same trigger).
    public var canonicalSource: String {
        firesForEveryEvent ? "all" : TriggerGenerator.source(for: node)
    }

    /// Segment's generator: the canonical FQL text for a reference AST. Throws
    /// `TriggerSyntaxError` for an AST it cannot read.
    public static func generate(referenceAST: JSON) throws -> String {
        try Trigger(referenceAST: referenceAST).canonicalSource
    }

    /// Whether two triggers test the same things the same way, so they match the same events:
    /// equal compiled conditions (`properties.a < "10"` and `properties.a < 10` are equivalent).
    public func isEquivalent(to other: Trigger) -> Bool {
        storage.matcher == other.storage.matcher
    }
}
