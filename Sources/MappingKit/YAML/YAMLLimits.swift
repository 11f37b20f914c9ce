/// Bounds that keep a hostile YAML text from exhausting time, stack or memory.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest text accepted, in UTF-8 bytes.
    public var maxBytes: Int
    /// Deepest nesting of sequences and mappings, counted after aliases are expanded.
    public var maxDepth: Int
    /// Most nodes the document may hold once every alias is replaced by a copy of its
    /// anchored node. This is what stops "billion laughs" alias bombs, which are checked
    /// before anything is expanded.
    public var maxNodes: Int

    public init(maxBytes: Int = 4 << 20, maxDepth: Int = 64, maxNodes: Int = 100_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }

    public static let `default` = YAMLLimits()
}
