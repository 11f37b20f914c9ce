import JSONKit

/// Where each value of a converted YAML document was written, by JSON path.
///
/// A path is the object keys and array indexes from the root joined by `/`, the root
/// itself being `/`: `/mapping/contents/@arrayPath/1/price`. This is the format of the
/// mapping validator's messages (`/<path> message`), so a validation error can be traced
/// back to `file:line:column`. (A key that itself contains `/` makes a path ambiguous, as
/// it does in those messages.)
public struct SourceMap: Sendable {
    /// The source location of one value.
    public struct Location: Sendable, Hashable {
        /// Where the member's key is written; `nil` for the root and array elements.
        public var key: SourceMark?
        /// Where the value's content starts: for a scalar the first character of its text
        /// or its opening quote (see `style`); for a value written with a directive tag, the tag.
        public var value: SourceMark
        /// How the scalar was written, so a caller can find a column inside it (one past
        /// `value` for quoted styles); `nil` for mappings and sequences.
        public var style: YAMLScalarStyle?

        public init(key: SourceMark?, value: SourceMark, style: YAMLScalarStyle?) {
            self.key = key
            self.value = value
            self.style = style
        }
    }

    /// The file name given to `YAML.parse`.
    public let file: String?
    private var locations: [String: Location] = [:]

    public init(file: String?) {
        self.file = file
    }

    /// The location of exactly `path`, if the document has a value there.
    public subscript(path: String) -> Location? {
        get { locations[path] }
        set { locations[path] = newValue }
    }

    /// The location of `path`, or of its nearest ancestor that has one (a validator may
    /// name a member that is missing). `nil` only for an empty map.
    public func nearest(_ path: String) -> (path: String, location: Location)? {
        var path = path
        while true {
            if let location = locations[path] { return (path, location) }
            guard path != "/", !path.isEmpty else { return nil }
            path = SourceMap.parent(of: path)
        }
    }

    /// A `YAMLError` located at `path` (or its nearest ancestor): at the key for an object
    /// member, since that is what a reader looks for, otherwise at the value.
    public func error(_ message: String, at path: String) -> YAMLError {
        let location = nearest(path)?.location
        return YAMLError(message, file: file, mark: location?.key ?? location?.value)
    }

    /// Where the value at `path` (or its nearest written ancestor) starts.
    public func valueMark(at path: String) -> SourceMark? { nearest(path)?.location.value }

    /// Where the key of the member at exactly `path` is written.
    public func keyMark(at path: String) -> SourceMark? { self[path]?.key }

    public var count: Int { locations.count }

    /// The path of a member or element of the value at `parent`: `/` + `a` is `/a`,
    /// `/a` + `0` is `/a/0`.
    public static func path(_ parent: String, appending component: String) -> String {
        parent == "/" ? "/" + component : parent + "/" + component
    }

    /// The path one level up; the parent of `/a` is `/`.
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
