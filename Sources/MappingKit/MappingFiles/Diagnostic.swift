/// A problem found while loading or linting a file, located by file, line and column.
///
/// Its description is the conventional `file:line:column: error: message`, which editors
/// and CI annotators understand.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    public var severity: Severity
    public var message: String
    public var file: String?
    /// 1-based; `nil` when the problem concerns the whole file.
    public var line: Int?
    /// 1-based; `nil` when unknown.
    public var column: Int?

    public init(_ severity: Severity, _ message: String, file: String? = nil, at mark: SourceMark? = nil) {
        self.severity = severity
        self.message = message
        self.file = file
        self.line = mark?.line
        self.column = mark?.column
    }

    public var description: String {
        var location = file ?? "<input>"
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): \(severity.rawValue): \(message)"
    }
}

/// Thrown when a mapping file cannot be loaded; holds every error found (and any warnings).
public struct MappingFileError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
