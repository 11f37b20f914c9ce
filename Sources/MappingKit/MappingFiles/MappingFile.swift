import JSONKit

/// One mapping file: when it fires (`trigger`), which action it feeds, and how that action's
/// fields are built from the event (`mapping`), with optional unit tests of its own.
///
/// ```yaml
/// name: Complete Payment
/// trigger: event = "Order Completed"
/// action: reportOfflineEvent
/// enabled: true
/// defaults: true
/// mapping:
///   event: CompletePayment
///   value: !path $.properties.revenue
/// tests:
///   - name: revenue becomes value
///     event: {event: Order Completed, properties: {revenue: 12.5}}
///     expect: {event: CompletePayment, value: 12.5}
/// ```
///
/// Files are YAML (a superset of JSON, so Segment's JSON mappings load unchanged). Everything
/// is parsed and compiled once, at load; an error names `file:line:column`.
public struct MappingFile: Sendable {
    public var name: String
    public var description: String?
    public var trigger: Trigger
    /// The destination action the mapped fields are sent to, e.g. `reportOfflineEvent`.
    public var action: String
    /// Disabled files load and lint, but do not fire unless the caller enables them.
    public var enabled: Bool
    /// Start from the action's default field mappings and overlay `mapping` on them.
    public var defaults: Bool
    /// The mapping as written, directives as `"@name"` objects (YAML tags already desugared).
    public var mapping: JSON
    /// `mapping` compiled on its own (without the action's defaults).
    public var compiled: Mapping
    /// The `destination:` block as written: where the records go, overriding the settings for
    /// them (which account or set receives them, a test code). Its values are
    /// mapping values (a literal, or `!path` to take it from the event); the destination's
    /// action schema says which keys it takes. Empty when the file has none.
    public var destination: JSONObject = [:]
    public var tests: [MappingTestCase]
    /// Where the file was read from, for messages.
    public var file: String?
    /// Where each part of the file was written, for messages about it.
    public var sourceMap: SourceMap
    /// Problems that do not stop the file from loading.
    public var warnings: [Diagnostic]

    /// The top-level keys a mapping file may have.
    public static let knownKeys = ["name", "description", "trigger", "action", "enabled", "defaults", "destination", "mapping", "tests"]

    /// Reads and compiles the mapping file at `path`. Throws `MappingFileError`.
    public static func load(path: String, limits: YAMLLimits = .default) throws -> MappingFile {
        let text: String
        do {
            text = try FileText.read(path, maxBytes: limits.maxBytes)
        } catch {
            throw MappingFileError([Diagnostic(.error, "\(error)", file: path)])
        }
        return try parse(text, file: path, limits: limits)
    }

    /// Compiles a mapping file from its text. Throws `MappingFileError` holding every problem found.
    public static func parse(_ text: String, file: String? = nil, limits: YAMLLimits = .default) throws -> MappingFile {
        var loader = MappingFileLoader(file: file)
        return try loader.load(text, limits: limits)
    }
}

/// One of a mapping file's own unit tests: an event, and what the mapping must produce from it.
public struct MappingTestCase: Sendable {
    public var name: String
    public var event: JSON
    /// The expected mapped value. `nil` when the test expects the trigger not to fire.
    public var expect: JSON?
    /// Whether the trigger is expected to fire for `event` (`fires: false` in the file).
    public var fires: Bool
    /// Where the test was written.
    public var mark: SourceMark?
}
