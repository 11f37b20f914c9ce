import ConversionEngine
import MappingKit
import NIOCore

/// Writes an Events API request body around already serialized `data` elements, without re-parsing them.
///
/// `{"event_source":"offline","event_source_id":…,"partner_name":…,"data":[e₁,e₂,…]}`;
/// `partner_name` is omitted when the route has none.
struct TikTokEnvelope: Sendable {
    private let prefix: [UInt8]
    private static let suffix: [UInt8] = Array("]}".utf8)

    init(route: TikTokRoute) {
        var prefix = Array(#"{"event_source":"offline","event_source_id":"#.utf8)
        JSON.serializeString(route.eventSetID, into: &prefix)
        if let partner = route.partnerName {
            prefix += Array(#","partner_name":"#.utf8)
            JSON.serializeString(partner, into: &prefix)
        }
        prefix += Array(#","data":["#.utf8)
        self.prefix = prefix
    }

    func body(for entries: ArraySlice<OutboxEntry>, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
        let size = prefix.count + Self.suffix.count + entries.reduce(0) { $0 + $1.payload.count + 1 }
        var buffer = allocator.buffer(capacity: size)
        buffer.writeBytes(prefix)
        var first = true
        for entry in entries {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            buffer.writeBytes(entry.payload)
        }
        buffer.writeBytes(Self.suffix)
        return buffer
    }
}

