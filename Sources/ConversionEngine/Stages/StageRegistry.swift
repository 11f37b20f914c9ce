/// The stages a pipeline may name, by name.
///
/// A value, not a global: build one, register your stages, and hand it to the pipeline.
/// Built-in stages use plain names (`normalize`, `hash`); stages you add must be namespaced
/// (`acme.geo-enrich`) so they never collide with a future built-in. Registering a name twice
/// is an error.
///
/// ```swift
/// var registry = destination.stages(actions: actions, sink: sink)
/// try registry.register(GeoEnrich(), as: "acme.geo-enrich")
/// ```
public struct StageRegistry: Sendable {
    private var stages: [String: any Stage] = [:]
    private var order: [String] = []

    public init() {}

    /// Adds a custom stage. `name` must be `namespace.stage`: lowercase letters, digits, `-`
    /// and `_`, with at least one dot.
    public mutating func register(_ stage: any Stage, as name: String) throws(StageRegistryError) {
        guard StageRegistry.isNamespaced(name) else { throw .notNamespaced(name) }
        try insert(stage, as: name)
    }

    /// Adds a built-in stage under a plain name: for a ``Destination``'s own stages
    /// (``Destination/stages(actions:sink:)``), never for stages added to a destination's pipeline.
    public mutating func registerBuiltIn(_ stage: any Stage, as name: String) throws(StageRegistryError) {
        guard StageRegistry.isPlainName(name) else { throw .invalidName(name) }
        try insert(stage, as: name)
    }

    private mutating func insert(_ stage: any Stage, as name: String) throws(StageRegistryError) {
        guard stages[name] == nil else { throw .duplicate(name) }
        stages[name] = stage
        order.append(name)
    }

    /// The stage registered under `name`.
    public subscript(name: String) -> (any Stage)? { stages[name] }

    /// Every registered name, in registration order.
    public var names: [String] { order }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isNameByte)
    }

    static func isNamespaced(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 2 && parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy(isNameByte) }
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
    }
}

/// Why a stage could not be registered.
public enum StageRegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    case duplicate(String)
    case notNamespaced(String)
    case invalidName(String)

    public var description: String {
        switch self {
        case .duplicate(let name): "a stage named '\(name)' is already registered"
        case .notNamespaced(let name):
            "custom stage name '\(name)' must be namespaced, like 'acme.\(name)' (lowercase letters, digits, '-', '_')"
        case .invalidName(let name): "'\(name)' is not a valid built-in stage name"
        }
    }
}
