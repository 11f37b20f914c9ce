/// A mapping that cannot be compiled. `issues` lists every problem found, in mapping order.
public struct MappingValidationError: Error, CustomStringConvertible, Sendable {
    public var issues: [MappingIssue]

    public init(issues: [MappingIssue]) { self.issues = issues }

    public var description: String {
        issues.map { issue in
            issue.suggestion.map { "\(issue.message) Did you mean \($0)?" } ?? issue.message
        }.joined(separator: "\n")
    }
}

/// One problem in a mapping.
public struct MappingIssue: Sendable, Hashable {
    /// Where the problem is: object keys and directive names joined by `/` (`"/"` for the root),
    /// for example `/a/@if/then`.
    public var path: String
    /// The full message, starting with the path and ending with a period, for example
    /// `/a/@if/then has an invalid directive: @oops.`
    public var message: String
    /// A likely intended spelling, for example `@path` for `@pth`.
    public var suggestion: String?

    public init(path: String, message: String, suggestion: String? = nil) {
        self.path = path
        self.message = message
        self.suggestion = suggestion
    }
}

/// A failure while evaluating a compiled mapping against a payload, for example
/// `data must be an object, got array` or `@case requires a "operator" key`.
/// Messages never quote payload values.
public struct MappingEvaluationError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(message: String) { self.message = message }

    public var description: String { message }
}
