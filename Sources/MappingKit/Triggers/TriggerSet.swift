import JSONKit

/// Triggers tested together against every event, as routing does.
///
/// A trigger that can fire only for certain `event` names (`event = "Order Completed"`, an
/// `or` of such tests, or an `and` that includes one, like every shipped preset) is passed over
/// without being evaluated when the event has another name or none. The answers are exactly
/// those of testing each trigger in turn.
///
/// ```swift
/// let set = TriggerSet(mappings.map(\.trigger))
/// set.forEachMatch(in: document) { position in fire(mappings[position]) }
/// ```
public struct TriggerSet: Sendable {
    public let triggers: [Trigger]
    /// For each trigger, the `event` names it can fire for; `nil` when it may fire whatever the
    /// event's name is.
    private let eventNames: [[ExactText]?]
    private static let eventKey = ExactText("event")

    public init(_ triggers: [Trigger]) {
        self.triggers = triggers
        eventNames = triggers.map { trigger in
            Self.eventNames(of: trigger.node).map { $0.sorted().map(ExactText.init) }
        }
    }

    /// Calls `body` with the position of every trigger the event in `document` fires, in
    /// order. Anything but an object fires nothing.
    public func forEachMatch(in document: JSONDocument, _ body: (Int) -> Void) {
        guard document.isObject else { return }
        let name = Self.eventKey.withUTF8 { document.member($0, of: 0) }.flatMap { document.kind(at: $0) == .string ? $0 : nil }
        for position in triggers.indices {
            if let names = eventNames[position] {
                guard let name, document.withStringBytes(at: name, { text in names.contains { $0.equals(bytes: text) } }) else {
                    continue
                }
            }
            if triggers[position].matches(document) { body(position) }
        }
    }

    /// The `event` names an event must have for `node` to hold, or `nil` when it may hold
    /// whatever the name. `event = X` compares the event's name, a string, with X as text
    /// (``TriggerMatcher/Predicate/stringEquals(_:)``), so it holds for that one name.
    static func eventNames(of node: TriggerNode) -> Set<String>? {
        switch node {
        case .condition(let condition):
            guard condition.field.section == .event, condition.comparison == .equals else { return nil }
            return [JavaScript.string(condition.value ?? .null)]
        case .group(.or, let children):
            var names = Set<String>()
            for child in children {
                guard let more = eventNames(of: child) else { return nil }
                names.formUnion(more)
            }
            return names
        case .group(.and, let children):
            var names: Set<String>?
            for child in children {
                guard let more = eventNames(of: child) else { continue }
                names = names.map { $0.intersection(more) } ?? more
            }
            return names
        case .not:
            return nil
        }
    }
}
