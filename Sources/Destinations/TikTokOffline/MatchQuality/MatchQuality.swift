import ConversionEngine
import JSONKit
import MappingKit
import TikTokEventsAPI

/// How many of each mapping's records TikTok can match, before anything is sent: the share
/// of records sent carrying each identifier after normalizing, the share refused for having none, and why
/// identifiers were dropped. Counts only; no value is kept.
public struct MatchQuality: Sendable {
    /// One mapping's figures.
    public struct Figures: Sendable, Hashable {
        public var records = 0
        public var email = 0
        public var phone = 0
        /// Of the records sent with a phone, those with one written without a country code (no
        /// `+` or `00`, no default country code): sent as written, it may never match.
        public var phoneWithoutCountryCode = 0
        public var externalID = 0
        public var ttclid = 0
        /// Both the IP address and the user agent.
        public var ipAndUserAgent = 0
        /// Refused because no identifier was left.
        public var noIdentifier = 0
        /// Why identifier values were dropped (`email_addresses: dropped a value (no @)`), by count.
        public var dropped: [String: Int] = [:]

        /// The identifier counts by name, as the JSON report and the metrics spell them.
        public var identifiers: KeyValuePairs<String, Int> {
            ["email": email, "phone": phone, "phone_without_country_code": phoneWithoutCountryCode, "external_id": externalID,
             "ttclid": ttclid, "ip_and_user_agent": ipAndUserAgent]
        }

        mutating func add(_ other: Figures) {
            records += other.records
            email += other.email
            phone += other.phone
            phoneWithoutCountryCode += other.phoneWithoutCountryCode
            externalID += other.externalID
            ttclid += other.ttclid
            ipAndUserAgent += other.ipAndUserAgent
            noIdentifier += other.noIdentifier
            for (reason, count) in other.dropped { dropped[reason, default: 0] += count }
        }
    }

    /// Mapping names in the order first seen.
    public private(set) var order: [String] = []
    /// Each mapping's figures, by name.
    public var mappings: [String: Figures] { Dictionary(uniqueKeysWithValues: zip(order, figures)) }
    /// The figures, parallel to ``order``: changed in place, record after record.
    private var figures: [Figures] = []
    private var positions: [String: Int] = [:]
    /// Where the last record's mapping is: records of one mapping often come in runs.
    private var last = 0

    /// Where a record's element is read: reused, so counting allocates nothing once grown.
    private var element = JSONDocument()

    public init() {}

    /// The match keys of a `data` element, read from its `user` object.
    private mutating func keys(in output: [UInt8]?) -> MatchKeys? {
        guard let output else { return nil }
        let parsed = output.withUnsafeBytes { bytes in (try? element.parse(bytes)) != nil }
        guard parsed, let root = element.root, let user = element.member("user", of: root) else { return nil }
        func has(_ key: String) -> Bool {
            guard let value = element.member(key, of: user) else { return false }
            return element.isArray(value) ? element.count(value) > 0 : element.isTruthy(value)
        }
        return MatchKeys(Self.userKeys.filter { has($0.name) }.map(\.key))
    }

    /// The `user` members that are match keys, as ``DataElement`` writes them.
    private static let userKeys: [(name: String, key: MatchKeys)] = [
        ("email", .email), ("phone", .phone), ("external_id", .externalID), ("ttclid", .ttclid), ("ip", .ip), ("user_agent", .userAgent),
    ]

    /// The position of `mapping` among ``order``, added when new.
    private mutating func position(of mapping: String) -> Int {
        if last < order.count, order[last] == mapping { return last }
        if let known = positions[mapping] {
            last = known
            return known
        }
        order.append(mapping)
        figures.append(Figures())
        positions[mapping] = order.count - 1
        last = order.count - 1
        return last
    }

    /// Counts one record after the pipeline.
    public mutating func add(_ record: borrowing Record) {
        add(withUnsafePointer(to: record, RecordSummary.init))
    }

    /// Counts every record of `records` (settled by the pipeline).
    public mutating func add(_ records: borrowing [Record]) {
        // Read in place: the array's subscript would hand out a copy.
        records.withUnsafeBufferPointer { records in
            for i in records.indices { add(RecordSummary(records.baseAddress! + i)) }
        }
    }

    /// What counting needs of a record, read before anything changes: a record lent to a
    /// mutating method is copied first (every reference in it retained, then released), which
    /// cost ≈ 2 % of a `run`.
    private struct RecordSummary {
        let mapping: String
        let isSent: Bool
        /// The keys noted as the `data` element was written.
        let noted: MatchKeys?
        /// The element, when its keys must be read from it (a sent record without notes).
        let output: [UInt8]?
        let noIdentifier: Bool
        /// The normalize stage's warnings about values it dropped.
        let dropped: [String]
        /// A phone was kept without a country code.
        let phoneWithoutCountryCode: Bool

        init(_ record: UnsafePointer<Record>) {
            mapping = record.pointee.mapping
            switch record.pointee.outcome {
            case .sent: (isSent, noIdentifier) = (true, false)
            case .rejected(let reason): (isSent, noIdentifier) = (false, reason.hasPrefix("no valid identifier"))
            default: (isSent, noIdentifier) = (false, false)
            }
            noted = record.pointee.outputNotes.map(MatchKeys.init(rawValue:))
            output = isSent && noted == nil ? record.pointee.output : nil
            let warnings = record.pointee.warnings
            dropped = warnings.isEmpty ? [] : warnings.filter { $0.contains(": dropped a value") }
            phoneWithoutCountryCode = !warnings.isEmpty && warnings.contains { $0.hasSuffix(IdentifierNormalizer.phoneWithoutCountryCode) }
        }
    }

    private mutating func add(_ summary: RecordSummary) {
        let i = position(of: summary.mapping)
        figures[i].records += 1
        // Identifiers count on what TikTok receives: the keys noted as the `data` element was
        // written, or else read from it (a record prepared by a fused plan carries no
        // identifier fields).
        if summary.isSent, let keys = summary.noted ?? keys(in: summary.output) {
            if keys.contains(.email) { figures[i].email += 1 }
            if keys.contains(.phone) {
                figures[i].phone += 1
                if summary.phoneWithoutCountryCode { figures[i].phoneWithoutCountryCode += 1 }
            }
            if keys.contains(.externalID) { figures[i].externalID += 1 }
            if keys.contains(.ttclid) { figures[i].ttclid += 1 }
            if keys.isSuperset(of: [.ip, .userAgent]) { figures[i].ipAndUserAgent += 1 }
        }
        if summary.noIdentifier { figures[i].noIdentifier += 1 }
        for warning in summary.dropped { figures[i].dropped[warning, default: 0] += 1 }
    }

    /// Adds another tally's figures (a batch's, to a running total).
    public mutating func add(_ other: MatchQuality) {
        for (name, figures) in zip(other.order, other.figures) { self.figures[position(of: name)].add(figures) }
    }

    /// The report as a table for a terminal.
    public func table(topReasons: Int = 3) -> String {
        func share(_ count: Int, of total: Int) -> String {
            total == 0 ? "-" : String(Int((Double(count) * 100 / Double(total)).rounded())) + "%"
        }
        var lines = ["match quality (share of each mapping's records sent with the identifier, after normalizing)",
                     pad("mapping", 28) + pad("records", 9) + pad("email", 7) + pad("phone", 7) + pad("ext id", 8) + pad("ttclid", 8)
                        + pad("ip+ua", 7) + "no identifier"]
        for (name, f) in zip(order, figures) {
            lines.append(pad(String(name.prefix(27)), 28) + pad(String(f.records), 9) + pad(share(f.email, of: f.records), 7)
                + pad(share(f.phone, of: f.records), 7) + pad(share(f.externalID, of: f.records), 8) + pad(share(f.ttclid, of: f.records), 8)
                + pad(share(f.ipAndUserAgent, of: f.records), 7) + share(f.noIdentifier, of: f.records))
            if f.phoneWithoutCountryCode > 0 {
                lines.append("    \(f.phoneWithoutCountryCode) × phone sent without a country code (may not match: set --default-country-code)")
            }
            for (reason, count) in f.dropped.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(topReasons) {
                lines.append("    \(count) × \(reason)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The report as JSON: `{"mappings":[{"mapping":…,"records":N,"email":N,…,"dropped":{reason: N}}]}`.
    public var json: JSON {
        .object(["mappings": .array(zip(order, figures).map { name, f in
            var dropped = JSONObject()
            for (reason, count) in f.dropped.sorted(by: { $0.key < $1.key }) { dropped[reason] = .int(count) }
            var entry: JSONObject = ["mapping": .string(name), "records": .int(f.records)]
            for (identifier, count) in f.identifiers { entry[identifier] = .int(count) }
            entry["no_identifier"] = .int(f.noIdentifier)
            entry["dropped"] = .object(dropped)
            return .object(entry)
        })])
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
