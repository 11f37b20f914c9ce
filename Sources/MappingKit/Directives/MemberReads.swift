import JSONKit

/// What one read of an event document found: nothing, a value where it lies in the document,
/// or a value that had to be built (a literal, a directive's result).
public enum DocumentRead: Sendable {
    case missing
    case value(JSONDocument.Value)
    case tree(JSON)

    init(_ tree: JSON?) { self = tree.map(DocumentRead.tree) ?? .missing }
}

/// A mapping's top-level members as reads of an event document, for a caller that uses the
/// values where they lie instead of the tree ``Mapping/evaluate(_:)-(JSONDocument)`` builds
/// (a destination's fused plan). `@path` and `@if` `exists` over paths are read in
/// place; any other directive is evaluated as usual and comes back as a tree.
///
/// ```swift
/// let members = MemberReads(mapping)!
/// for (key, read) in zip(members.keys, members.reads) {
///     switch try read.read(document) { case .missing: …; case .value(let v): …; case .tree(let t): … }
/// }
/// ```
/// A member that reads `.missing` is one ``Mapping/evaluate(_:)-(JSONDocument)`` leaves out;
/// every other read gives the value that member would hold, and the same errors are thrown.
public struct MemberReads: Sendable {
    public let keys: [String]
    public let reads: [MemberRead]

    init(keys: [String], reads: [MemberRead]) {
        self.keys = keys
        self.reads = reads
    }

    /// Nil when the mapping's top level is a directive rather than an object of members.
    public init?(_ mapping: Mapping) {
        switch mapping.root {
        case .object(let keys, let members):
            self.keys = keys
            reads = members.map(MemberRead.init)
        case .value(.object(let object)):
            keys = Array(object.keys)
            reads = object.values.map { MemberRead(.value($0)) }
        default:
            return nil
        }
    }
}

/// One top-level member of a mapping, read from an event document (see ``MemberReads``).
public struct MemberRead: Sendable {
    let node: MappingNode

    init(_ node: MappingNode) { self.node = node }

    /// True when `node` is read in place (a path, or `@if exists` choosing between paths and
    /// literals) rather than built as a tree.
    private static func readsInPlace(_ node: MappingNode) -> Bool {
        switch node {
        case .value, .undefined, .path: true
        case .condition(let condition):
            condition.test == .exists && readsInPlace(condition.subject)
                && (condition.then.map(readsInPlace) ?? true) && (condition.otherwise.map(readsInPlace) ?? true)
        default: false
        }
    }

    /// `@arrayPath` with a path to the list and, as its shape, an object of members read in
    /// place: the list's read, and each item's. An item is shaped by reading the members from it
    /// (``read(_:from:)``); an object stands for a list of one.
    public var arrayShape: (list: MemberRead, item: MemberReads)? {
        guard case .arrayPath(let root, let shape?) = node, case .path = root, case .object(let keys, let members) = shape,
            members.allSatisfy(Self.readsInPlace)
        else { return nil }
        return (MemberRead(root), MemberReads(keys: keys, reads: members.map(MemberRead.init)))
    }

    /// The one key the member reads when it is a path of one step (`$.price`): read from an
    /// object, it is that member's value.
    public var key: String? {
        guard case .path(let path) = node, path.segments.count == 1 else { return nil }
        return path.segments[0].key
    }

    /// What the member resolves to for `document`, an object.
    public func read(_ document: JSONDocument) throws(MappingEvaluationError) -> DocumentRead {
        try Self.read(node, document, from: 0)
    }

    /// What a member of an ``arrayShape`` item resolves to for `item`, an object of `document`:
    /// the item stands for the whole payload, as an `@arrayPath` shape reads it. Only members
    /// read in place (those of an ``arrayShape``) can; another member stops the program.
    public func read(_ document: JSONDocument, from item: JSONDocument.Value) -> DocumentRead {
        (try? Self.read(node, document, from: document.index(of: item))) ?? .missing
    }

    private static func read(_ node: MappingNode, _ document: JSONDocument, from start: Int) throws(MappingEvaluationError) -> DocumentRead {
        switch node {
        case .value(let value):
            return .tree(value)
        case .undefined:
            return .missing
        case .path(let path):
            return path.find(in: document, from: start)
        case .condition(let condition) where condition.test == .exists:
            // As MappingNode.Condition.resolve: a missing or null subject does not exist.
            let subject = try read(condition.subject, document, from: start)
            let holds: Bool
            switch subject {
            case .missing: holds = false
            case .value(let value): holds = !document.isNull(value)
            case .tree(let tree): holds = tree != .null
            }
            if holds { return condition.thenRepeatsSubject ? subject : try condition.then.map { node throws(MappingEvaluationError) in try read(node, document, from: start) } ?? .missing }
            return try condition.otherwise.map { node throws(MappingEvaluationError) in try read(node, document, from: start) } ?? .missing
        default:
            precondition(start == 0, "a directive is evaluated against the whole event")
            return DocumentRead(try node.resolve(document))
        }
    }
}

extension JSONDocument {
    /// The node at `index` as a ``DocumentRead``.
    func read(at index: Int) -> DocumentRead { .value(value(atNode: index)) }
}
