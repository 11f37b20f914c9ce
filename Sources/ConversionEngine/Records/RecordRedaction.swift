import JSONKit
import MappingKit

extension Record {
    /// The record as JSON for traces and logs, with every personal-data field of `schema`
    /// replaced by its SHA-256 (values that already look hashed are shown as they are).
    public func redacted(using schema: ActionSchema?) -> JSON {
        var fields = self.fields
        for spec in schema?.fields ?? [] where spec.pii != nil {
            if let value = fields[spec.key] { fields[spec.key] = Self.redact(value) }
        }
        var out: JSONObject = ["line": .int(line), "mapping": .string(mapping), "fields": .object(fields)]
        switch outcome {
        case .pending: break
        case .sent: out["outcome"] = "sent"
        case .rejected(let reason): out["outcome"] = "rejected"; out["reason"] = .string(reason)
        case .skipped(let reason): out["outcome"] = "skipped"; out["reason"] = .string(reason)
        }
        if !warnings.isEmpty { out["warnings"] = .array(warnings.map { .string($0) }) }
        return .object(out)
    }

    private static func redact(_ value: JSON) -> JSON {
        switch value {
        case .string(let s): s.isEmpty || SHA256Hex.looksHashed(s) ? value : .string(SHA256Hex.hash(s))
        case .array(let items): .array(items.map(redact))
        case .object: .string("<redacted>")
        default: .string(SHA256Hex.hash(value.serialized()))
        }
    }
}
