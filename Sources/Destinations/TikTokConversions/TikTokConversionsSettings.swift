import ConversionEngine

/// What TikTok Conversions needs to know: the pixel that receives the events and the token
/// that may write to it. The token is a secret: ``description`` never shows it.
public struct TikTokConversionsSettings: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// TikTok Events API access token (header `Access-Token`).
    public var accessToken: String?
    /// The pixel that receives the events (`event_source_id`; for `crm` events, the CRM event set).
    public var pixelCode: String?
    /// Sent as `test_event_code` when a mapping does not set one.
    public var testEventCode: String?
    /// Digits prefixed to phone numbers written without `+` or `00` (e.g. `1`).
    public var defaultCountryCode: String?
    /// The stages to run, if not the default `normalize, hash, validate, send`.
    public var pipeline: PipelineDefinition?

    /// `partner_name` in every request, fixed as Segment's destination fixes it.
    public static let partnerName = "Segment"

    public init(
        accessToken: String? = nil, pixelCode: String? = nil, testEventCode: String? = nil, defaultCountryCode: String? = nil,
        pipeline: PipelineDefinition? = nil
    ) {
        self.accessToken = accessToken
        self.pixelCode = pixelCode
        self.testEventCode = testEventCode.flatMap { $0.isEmpty ? nil : $0 }
        self.defaultCountryCode = defaultCountryCode
        self.pipeline = pipeline
    }

    public var description: String {
        "TikTokConversionsSettings(pixelCode: \(pixelCode ?? "-"), accessToken: \(accessToken == nil ? "-" : "<redacted>"), "
            + "testEventCode: \(testEventCode ?? "-"), defaultCountryCode: \(defaultCountryCode ?? "-"))"
    }

    public var debugDescription: String { description }
}
