import ConversionEngine
import Testing
@testable import TikTokEventsAPI

@Suite("TikTok replies")
struct TikTokReplyTests {
    enum Kind: String, Sendable { case accepted, retryable, refused, unauthorized, misconfigured }

    static let cases: [(status: Int, body: String, kind: Kind)] = [
        (200, #"{"code":0,"message":"OK","request_id":"r1"}"#, .accepted),
        (200, #"{"code":40001,"message":"Access token is invalid."}"#, .unauthorized),
        (200, #"{"code":40105,"message":"Access token has been revoked."}"#, .unauthorized),
        (401, "", .unauthorized),
        (403, #"{"code":40001,"message":"no permission"}"#, .unauthorized),
        (200, #"{"code":40100,"message":"Too many requests"}"#, .retryable),
        (429, "", .retryable),
        (500, #"{"code":50000,"message":"Internal error"}"#, .retryable),
        (502, "<html>bad gateway</html>", .retryable),
        (200, "not json", .retryable),
        (200, #"{"code":51000,"message":"System busy"}"#, .retryable),
        (200, #"{"code":40002,"message":"Invalid parameter: data[7].user.email[0]: must be a SHA-256 hash"}"#, .refused),
        (400, #"{"code":40002,"message":"bad"}"#, .refused),
        (413, "", .refused),
        (200, #"{"code":40002,"message":"Invalid parameter: event_source_id is required"}"#, .misconfigured),
        (404, "not found", .misconfigured),
        (200, #"{"code":20001,"message":"Partial success"}"#, .refused),
        (200, #"{"code":20001,"message":"data[3].user.email[0]: invalid"}"#, .refused),
    ]

    @Test(arguments: cases)
    func classifiesLikeTheEventsAPI(status: Int, body: String, kind: Kind) {
        let outcome = TikTokReply(status: status, body: Array(body.utf8)).outcome()
        let actual: Kind = switch outcome {
        case .accepted: .accepted
        case .retryable: .retryable
        case .refused: .refused
        case .unauthorized: .unauthorized
        case .misconfigured: .misconfigured
        }
        #expect(actual == kind)
    }

    @Test func aRefusalNamesTheSuspectRowAndKeepsTikTokMessage() {
        let reply = TikTokReply(status: 200, body: Array(#"{"code":40002,"message":"Invalid parameter: data[7].event: is required"}"#.utf8))
        #expect(reply.outcome() == .refused(reason: "TikTok 40002: Invalid parameter: data[7].event: is required", suspect: 7))
    }

    /// 20001 (partial success): the rows are isolated and sent again; those TikTok took carry
    /// the same event_id and are deduplicated, the refused ones end as dead letters.
    @Test func aPartialSuccessIsolatesTheRowsLikeARefusal() {
        let reply = TikTokReply(status: 200, body: Array(#"{"code":20001,"message":"Partial success: data[2].event_time: out of range"}"#.utf8))
        #expect(reply.outcome() == .refused(reason: "partial success, TikTok 20001: Partial success: data[2].event_time: out of range", suspect: 2))
        #expect(!reply.succeeded)
    }

    @Test(arguments: [("data[12].user", 12), ("data[0]: bad", 0), ("no row named", nil), ("data[x]", nil), ("data[3", nil)] as [(String, Int?)])
    func readsTheSuspectRow(message: String, expected: Int?) {
        #expect(TikTokReply.suspectRow(in: message) == expected)
    }

    @Test func retryAfterIsPassedOn() {
        let reply = TikTokReply(status: 429, body: [])
        #expect(reply.outcome(retryAfter: .seconds(2)) == .retryable(reason: "HTTP 429 without a TikTok reply", retryAfter: .seconds(2)))
    }
}
