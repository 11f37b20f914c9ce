import JSONKit

/// One node of a YAML document as written: scalars keep their text and style (they are
/// resolved to numbers, booleans or null only when converted to JSON) and mappings keep
/// their key order.
///
/// An alias is replaced by the node its anchor names, so one node may appear at several
/// places of the tree (sharing storage); its marks stay those of the anchored node.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(String, style: YAMLScalarStyle)
        case sequence([YAMLNode])
        case mapping([Member])
    }

    /// One key/value pair of a mapping.
    public struct Member: Sendable {
        public let key: YAMLNode
        public let value: YAMLNode
    }

    public let kind: Kind
    /// The tag as resolved by the parser: `!path` for a local tag,
    /// `tag:yaml.org,2002:str` for `!!str`, `!` for the non-specific tag; `nil` when none.
    public let tag: String?
    public let anchor: String?
    /// Where the node begins, its tag and anchor included.
    public let mark: SourceMark
    /// Where the value itself begins, after any tag and anchor: for a quoted scalar the
    /// opening quote, for a block scalar its `|` or `>`.
    public let contentMark: SourceMark

    /// Nodes in this subtree once aliases are expanded, this one included.
    let expandedCount: Int
    /// Levels of sequences and mappings in this subtree once aliases are expanded
    /// (0 for a scalar).
    let expandedHeight: Int

    /// The scalar's text, or `nil` for a collection.
    public var scalarText: String? {
        if case .scalar(let text, _) = kind { text } else { nil }
    }

    /// The scalar's style, or `nil` for a collection.
    public var scalarStyle: YAMLScalarStyle? {
        if case .scalar(_, let style) = kind { style } else { nil }
    }

    /// `scalar`, `sequence` or `mapping`, for messages.
    public var kindName: String {
        switch kind {
        case .scalar: "scalar"
        case .sequence: "sequence"
        case .mapping: "mapping"
        }
    }
}

/// How a scalar was written. Only plain scalars are resolved to null, booleans and
/// numbers; every other style is a string.
public enum YAMLScalarStyle: String, Sendable, Hashable {
    case plain
    case singleQuoted
    case doubleQuoted
    /// A `|` block.
    case literal
    /// A `>` block.
    case folded

    /// True for the styles whose text starts one column after the node's content mark.
    public var isQuoted: Bool { self == .singleQuoted || self == .doubleQuoted }
}
