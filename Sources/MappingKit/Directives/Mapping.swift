import JSONKit

/// A declarative mapping (Segment's mapping language), compiled once and evaluated many times.
///
/// ```swift
/// let mapping = try Mapping(["email": ["@path": "$.traits.email"]])
/// let output = try mapping.evaluate(event)   // ["email": "..."] or [:] when missing
/// ```
/// `@liquid` is not supported: a mapping that uses it is rejected when compiled.
public struct Mapping: Sendable {
    /// The mapping as written.
    public let source: JSON
    /// The compiled form that evaluation walks.
    let root: MappingNode

    /// Compiles (validates and pre-processes) a mapping once. Throws `MappingValidationError`.
    ///
    /// The top level must be an object (a directive or a plain object); an
    /// `__segment_internal_directive` key is expanded first.
    public init(_ source: JSON) throws {
        self.source = source
        guard case .object = source else {
            let type = source.typeName
            let article = type.first.map { "aeiou".contains($0) } == true ? "an" : "a"
            throw MappingValidationError(issues: [MappingIssue(
                path: "/", message: "/ should be an object but it is \(article) \(type); a mapping must be a JSON object.")])
        }
        let expanded = try RootDirective.expand(source)
        do throws(MappingValidator.Failure) {
            try MappingValidator.validate(expanded)
        } catch {
            throw MappingValidationError(issues: error.issues)
        }
        root = try MappingCompiler.compile(expanded)
    }

    /// Resolves the mapping against a payload; `nil` means "no value" (undefined).
    /// Throws `MappingEvaluationError` for run-time failures (e.g. `data must be an object, got array`).
    ///
    /// Object members without a value are left out; array elements without a value are `null`.
    public func evaluate(_ payload: JSON) throws -> JSON? {
        guard case .object = payload else {
            throw MappingEvaluationError(message: "data must be an object, got \(payload.typeName)")
        }
        return try root.resolve(payload as JSON?)
    }

    /// ``evaluate(_:)-(JSON)`` over an event read in place: only the values the mapping
    /// reads become trees. Same results, same errors.
    public func evaluate(_ document: JSONDocument) throws -> JSON? {
        guard document.isObject else {
            throw MappingEvaluationError(message: "data must be an object, got \(document.typeName)")
        }
        return try root.resolve(document)
    }
}
