import ConversionEngine

/// The personal-data fields of each action, read once from the schemas.
struct IdentifierFields: Sendable {
    struct Field: Sendable {
        let key: String
        let normalizer: IdentifierNormalizer
    }

    private let byAction: [String: [Field]]

    init(actions: ActionCatalog, defaultCountryCode: String?) {
        var byAction: [String: [Field]] = [:]
        for action in actions.actions {
            let fields = action.fields.compactMap { spec in
                spec.pii.map { Field(key: spec.key, normalizer: IdentifierNormalizer(category: $0, defaultCountryCode: defaultCountryCode)) }
            }
            for name in action.names { byAction[name] = fields }
        }
        self.byAction = byAction
    }

    func fields(for action: String) -> [Field] {
        byAction[action] ?? []
    }
}
