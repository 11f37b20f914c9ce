/// Why a YAML text could not be loaded, and where.
///
/// Its description reads `file:line:column: message`, leaving out the parts that are
/// unknown, so editors and terminals can jump to the spot.
public struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var file: String?
    public var mark: SourceMark?

    public init(_ message: String, file: String? = nil, mark: SourceMark? = nil) {
        self.message = message
        self.file = file
        self.mark = mark
    }

    public var description: String {
        var location: [String] = []
        if let file { location.append(file) }
        if let mark { location.append(mark.description) }
        return location.isEmpty ? message : location.joined(separator: ":") + ": " + message
    }
}
