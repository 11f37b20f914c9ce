/// Builds the node tree of one document from libyaml events, enforcing `YAMLLimits` as it
/// goes: nesting depth and the node count after alias expansion are computed
/// incrementally (each anchored node remembers its expanded size), so nothing is ever
/// expanded to find out that it is too big.
struct YAMLTreeBuilder {
    private let limits: YAMLLimits
    private let file: String?
    private let source: SourceText

    /// The collections being read, outermost first.
    private var open: [OpenCollection] = []
    private var anchors: [String: YAMLNode] = [:]
    /// Nodes in the document so far, aliases counted at their expanded size.
    private var nodeCount = 0
    private var hasAliases = false
    private(set) var root: YAMLNode?

    private struct OpenCollection {
        let isMapping: Bool
        let tag: String?
        let anchor: String?
        let mark: SourceMark
        var children: [YAMLNode] = []
        var expandedCount = 1
        var expandedHeight = 1
    }

    init(limits: YAMLLimits, file: String?, source: SourceText) {
        self.limits = limits
        self.file = file
        self.source = source
    }

    var isComplete: Bool { root != nil }

    /// Feeds one event that belongs inside the document (anything but stream and
    /// document boundaries).
    mutating func add(_ event: YAMLEvent) throws(YAMLError) {
        switch event {
        case .scalar(let text, let style, let tag, let anchor, let mark):
            try count(1, at: mark)
            let contentMark = (tag != nil || anchor != nil) && !text.isEmpty
                ? source.contentMark(afterPropertiesAt: mark) : mark
            let node = YAMLNode(
                kind: .scalar(text, style: style), tag: tag, anchor: anchor, mark: mark, contentMark: contentMark,
                expandedCount: 1, expandedHeight: 0)
            try finish(node)

        case .sequenceStart(let tag, let anchor, let mark):
            try begin(OpenCollection(isMapping: false, tag: tag, anchor: anchor, mark: mark))

        case .mappingStart(let tag, let anchor, let mark):
            try begin(OpenCollection(isMapping: true, tag: tag, anchor: anchor, mark: mark))

        case .sequenceEnd, .mappingEnd:
            let collection = open.removeLast()
            let kind: YAMLNode.Kind
            if collection.isMapping {
                var members: [YAMLNode.Member] = []
                members.reserveCapacity(collection.children.count / 2)
                var i = 0
                while i + 1 < collection.children.count {
                    members.append(YAMLNode.Member(key: collection.children[i], value: collection.children[i + 1]))
                    i += 2
                }
                kind = .mapping(members)
            } else {
                kind = .sequence(collection.children)
            }
            let contentMark = collection.tag != nil || collection.anchor != nil
                ? source.contentMark(afterPropertiesAt: collection.mark) : collection.mark
            try finish(YAMLNode(
                kind: kind, tag: collection.tag, anchor: collection.anchor, mark: collection.mark,
                contentMark: contentMark, expandedCount: collection.expandedCount,
                expandedHeight: collection.expandedHeight))

        case .alias(let name, let mark):
            hasAliases = true
            if open.contains(where: { $0.anchor == name }) {
                throw YAMLError("the alias *\(name) refers to a node that contains it", file: file, mark: mark)
            }
            guard let target = anchors[name] else {
                throw YAMLError("the alias *\(name) refers to no anchor &\(name) above it", file: file, mark: mark)
            }
            if open.count + target.expandedHeight > limits.maxDepth {
                throw YAMLError(
                    "the alias *\(name) nests deeper than \(limits.maxDepth) levels once expanded",
                    file: file, mark: mark)
            }
            try count(target.expandedCount, at: mark)
            try finish(target)

        case .streamStart, .streamEnd, .documentStart, .documentEnd:
            break
        }
    }

    private mutating func begin(_ collection: OpenCollection) throws(YAMLError) {
        if open.count >= limits.maxDepth {
            throw YAMLError("nesting deeper than \(limits.maxDepth) levels", file: file, mark: collection.mark)
        }
        try count(1, at: collection.mark)
        open.append(collection)
    }

    private mutating func count(_ nodes: Int, at mark: SourceMark) throws(YAMLError) {
        nodeCount += nodes
        guard nodeCount > limits.maxNodes else { return }
        let message = hasAliases
            ? "aliases expand to more than \(limits.maxNodes) nodes; the document looks like an alias bomb"
            : "the document has more than \(limits.maxNodes) nodes"
        throw YAMLError(message, file: file, mark: mark)
    }

    /// Records a completed node under its anchor and hands it to its parent.
    private mutating func finish(_ node: YAMLNode) throws(YAMLError) {
        if let anchor = node.anchor { anchors[anchor] = node }
        guard !open.isEmpty else {
            root = node
            return
        }
        let last = open.count - 1
        open[last].children.append(node)
        // Neither can overflow: both stay within the limits checked above.
        open[last].expandedCount += node.expandedCount
        open[last].expandedHeight = max(open[last].expandedHeight, node.expandedHeight + 1)
    }
}
