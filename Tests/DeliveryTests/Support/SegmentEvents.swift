import Foundation
import Testing

/// Segment `track` events that fire the shipped Complete Payment preset.
enum SegmentEvents {
    static let badMessageID = "message-bad-for-tiktok"
    /// An hour ago: inside TikTok's attribution window, so the validate stage keeps the events.
    static let timestamp: String = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date().addingTimeInterval(-3_600))
    }()

    /// `valid` deliverable events, `invalid` events the pipeline refuses (no identifier), and
    /// optionally one event TikTok refuses (an uppercase pre-hashed phone passes the pipeline).
    static func write(to path: String, valid: Int, invalid: Int, badForTikTokAt bad: Int? = nil) throws {
        try #require(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var chunk = ""
        for n in 0..<(valid + invalid) {
            if n == bad {
                let phone = String(repeating: "AB", count: 32)
                chunk += #"{"type":"track","event":"Order Completed","messageId":"\#(badMessageID)","timestamp":"\#(timestamp)","properties":{"phone":"\#(phone)","order_id":"o-bad","value":5}}"# + "\n"
            }
            if n < valid {
                chunk += #"{"type":"track","event":"Order Completed","messageId":"message-\#(n)","userId":"user-\#(n)","timestamp":"\#(timestamp)","properties":{"email":"Person.\#(n)@Example.com","order_id":"order-\#(n)","value":\#(n % 500).5,"currency":"USD","products":[{"product_id":"p-\#(n % 97)","price":\#(n % 50),"quantity":1,"name":"Item"}]},"context":{"ip":"203.0.113.7","userAgent":"Mozilla/5.0"}}"# + "\n"
            } else {
                chunk += #"{"type":"track","event":"Order Completed","messageId":"message-\#(n)","timestamp":"\#(timestamp)","properties":{"order_id":"order-\#(n)"}}"# + "\n"
            }
            if chunk.utf8.count > 1 << 20 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
    }
}
