/// A store location (a file path or a database URL) as it may be shown: in errors, summaries,
/// logs and metrics. A URL's password, in its user part or as a `password=` query item, becomes
/// `***`; everything else is kept, so the reader still sees which server and database.
///
/// It reads the text itself rather than through `URLComponents`, which gives up on a URL it
/// cannot parse (`postgres://u:pw@host:notaport/db`) and so would leave exactly the bad URLs
/// — the ones an error shows — unredacted.
///
/// ```swift
/// redactedLocation("postgres://app:s3cret@db/events")   // "postgres://app:***@db/events"
/// ```
public func redactedLocation(_ location: String) -> String {
    guard let scheme = location.range(of: "://") else { return location }
    var text = Substring(location)
    var result = String(text[..<scheme.upperBound])
    text = text[scheme.upperBound...]
    let authorityEnd = text.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? text.endIndex
    let authority = text[..<authorityEnd]
    if let at = authority.lastIndex(of: "@") {
        let userInfo = authority[..<at]
        if let colon = userInfo.firstIndex(of: ":") {
            result += userInfo[..<colon] + ":***"
        } else {
            result += userInfo
        }
        result += authority[at...]
    } else {
        result += authority
    }
    var rest = text[authorityEnd...]
    guard let query = rest.firstIndex(of: "?") else { return result + rest }
    result += rest[...query]
    rest = rest[rest.index(after: query)...]
    let items = rest.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
        let name = item.prefix { $0 != "=" }
        return name.lowercased() == "password" && item.contains("=") ? name + "=***" : String(item)
    }
    return result + items.joined(separator: "&")
}
