import JSONKit

/// The parsed form of a trigger: the reference's condition/group model plus negation, with
/// groups nested to any depth. Equal nodes match the same events.
indirect enum TriggerNode: Sendable, Hashable {
    case condition(TriggerCondition)
    case group(TriggerConnective, [TriggerNode])
    /// `!` before a condition or a parenthesised group (our extension; Segment ignores it).
    case not(TriggerNode)
}

enum TriggerConnective: String, Sendable, Hashable {
    case and
    case or
}

/// One test of one event field, in the reference's terms (§4.4 of the FQL spec).
struct TriggerCondition: Sendable, Hashable {
    var field: TriggerField
    var comparison: TriggerComparison
    /// The reference AST's `value`: a string, number or boolean; `nil` for the operators that
    /// take none (`exists`, `not_exists`, `is_true`, `is_false`).
    var value: JSON?
}

/// Where a condition reads from an event.
struct TriggerField: Sendable, Hashable {
    enum Section: String, Sendable, Hashable, CaseIterable {
        case type, event, name, userId, properties, traits, context

        /// The reference AST's condition `type`.
        var astType: String {
            switch self {
            case .type: "event-type"
            case .event: "event"
            case .name: "name"
            case .userId: "userId"
            case .properties: "event-property"
            case .traits: "event-trait"
            case .context: "event-context"
            }
        }

        /// Whether the field is a path inside an object (`properties`, `traits`, `context`)
        /// rather than a single top-level member.
        var takesPath: Bool {
            switch self {
            case .properties, .traits, .context: true
            case .type, .event, .name, .userId: false
            }
        }

        init?(astType: String) {
            guard let section = Self.allCases.first(where: { $0.astType == astType }) else { return nil }
            self = section
        }
    }

    var section: Section
    /// The path under `properties`, `traits` or `context` (the AST's `name`); `nil` otherwise.
    var path: String?
}

/// The reference's condition operators.
enum TriggerComparison: String, Sendable, Hashable, CaseIterable {
    case equals = "="
    case notEquals = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case numberEquals = "number_equals"
    case numberNotEquals = "number_not_equals"
    case contains
    case notContains = "not_contains"
    case startsWith = "starts_with"
    case notStartsWith = "not_starts_with"
    case endsWith = "ends_with"
    case notEndsWith = "not_ends_with"
    case exists
    case notExists = "not_exists"
    case isTrue = "is_true"
    case isFalse = "is_false"

    /// Whether the operator compares against a `value`.
    var takesValue: Bool {
        switch self {
        case .exists, .notExists, .isTrue, .isFalse: false
        default: true
        }
    }
}
