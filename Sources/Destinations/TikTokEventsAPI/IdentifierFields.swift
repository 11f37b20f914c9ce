import ConversionEngine

/// The personal-data fields of each action, read once from the schemas.
package struct IdentifierFields: Sendable {
    package struct Field: Sendable {
        package let key: String
        package let normalizer: IdentifierNormalizer
    }

    /// A handful of action names (a later action wins a shared name): comparing them, usually
    /// the very same string, beats hashing.
    private let byAction: [(action: String, fields: [Field])]

    package init(actions: ActionCatalog, defaultCountryCode: String?) {
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
    package var maxFieldCount: Int { byAction.map(\.fields.count).max() ?? 0 }

    package func fields(for action: String) -> [Field] {
        byAction.last { $0.action == action }?.fields ?? []
    }
}
