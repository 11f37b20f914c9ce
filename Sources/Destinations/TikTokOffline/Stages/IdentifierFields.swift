import ConversionEngine
import TikTokEventsAPI

/// The personal-data fields of each action, read once from the schemas.
struct IdentifierFields: Sendable {
    struct Field: Sendable {
        let key: String
        let normalizer: IdentifierNormalizer
    }

    /// A handful of action names (a later action wins a shared name): comparing them, usually
    /// the very same string, beats hashing.
    private let byAction: [(action: String, fields: [Field])]

    init(actions: ActionCatalog, defaultCountryCode: String?) {
        var byAction: [(String, [Field])] = []
        for action in actions.actions {
            let fields = action.fields.compactMap { spec in
                spec.pii.map { Field(key: spec.key, normalizer: IdentifierNormalizer(category: $0, defaultCountryCode: defaultCountryCode)) }
            }
            for name in action.names { byAction.append((name, fields)) }
        }
        self.byAction = byAction
    }

    /// The most personal-data fields any action has.
    var maxFieldCount: Int { byAction.map(\.fields.count).max() ?? 0 }

    func fields(for action: String) -> [Field] {
        byAction.last { $0.action == action }?.fields ?? []
    }
}
