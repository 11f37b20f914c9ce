/// The identifiers a `data` element carries for TikTok to match on: noted by ``DataElement``
/// as it writes them (a list with at least one value, a member present), and kept in the
/// record's `outputNotes`, so that ``MatchQuality`` counts them without reading the element again.
public struct MatchKeys: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let email = MatchKeys(rawValue: 1 << 0)
    public static let phone = MatchKeys(rawValue: 1 << 1)
    public static let externalID = MatchKeys(rawValue: 1 << 2)
    public static let ttclid = MatchKeys(rawValue: 1 << 3)
    public static let ip = MatchKeys(rawValue: 1 << 4)
    public static let userAgent = MatchKeys(rawValue: 1 << 5)
}
