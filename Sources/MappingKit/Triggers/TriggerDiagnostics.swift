/// A trigger that cannot be used: malformed FQL, an unknown field, or a reference AST of the
/// wrong shape.
public struct TriggerSyntaxError: Error, CustomStringConvertible, Sendable, Hashable {
    /// What is wrong, in words a mapping author understands.
    public var message: String
    /// 1-based column (in Unicode scalars) in the trigger text; 0 when the error is in a
    /// reference AST rather than in FQL text.
    public var column: Int
    /// What would have been valid at `column`, when that can be said.
    public var expected: String?

    public init(message: String, column: Int, expected: String? = nil) {
        self.message = message
        self.column = column
        self.expected = expected
    }

    public var description: String {
        var text = column > 0 ? "column \(column): \(message)" : message
        if let expected { text += " (expected \(expected))" }
        return text
    }
}

/// A lint finding about a trigger that is valid but probably not what its author meant, or
/// that Segment would read differently.
public struct TriggerWarning: Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// 1-based column (in Unicode scalars) in the trigger text.
    public var column: Int

    public init(message: String, column: Int) {
        self.message = message
        self.column = column
    }

    public var description: String { "column \(column): \(message)" }
}
