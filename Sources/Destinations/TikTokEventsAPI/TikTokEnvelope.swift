import Delivery
import JSONKit
import NIOCore

/// Writes an Events API request body around already serialized `data` elements, without
/// re-parsing them; the one writer of the envelope (dry-run, delivery and embedders use it).
///
/// `{"event_source":"offline"|"crm","event_source_id":…,"partner_name":…,"test_event_code":…,"data":[e₁,e₂,…]}`;
/// `partner_name` and `test_event_code` are omitted when there is none. TikTok reads
/// `test_event_code` here, at the top level, never inside a `data` element, so one body holds
/// the events of one test code (or live events only).
package struct TikTokEnvelope: Sendable {
    @usableFromInline let prefix: [UInt8]
    @usableFromInline static let suffix: [UInt8] = Array("]}".utf8)

    package init(eventSetID: String, eventSource: TikTokEventSource = .offline, partnerName: String?, testEventCode: String?) {
        var prefix = Array(#"{"event_source":"#.utf8)
        JSON.serializeString(eventSource.rawValue, into: &prefix)
        prefix += Array(#","event_source_id":"#.utf8)
        JSON.serializeString(eventSetID, into: &prefix)
        if let partnerName {
            prefix += Array(#","partner_name":"#.utf8)
            JSON.serializeString(partnerName, into: &prefix)
        }
        if let testEventCode, !testEventCode.isEmpty {
            prefix += Array(#","test_event_code":"#.utf8)
            JSON.serializeString(testEventCode, into: &prefix)
        }
        prefix += Array(#","data":["#.utf8)
        self.prefix = prefix
    }

    package init(route: TikTokRoute) {
        self.init(eventSetID: route.eventSetID, eventSource: route.eventSource, partnerName: route.partnerName,
                  testEventCode: route.testEventCode)
    }

    /// Appends the body around `elements` to `out`.
    /// (Inlinable, so that it is specialised for the caller's sequence: a dry run writes one
    /// body per record.)
    @inlinable
    package func write(elements: some Sequence<[UInt8]>, into out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        var first = true
        for element in elements {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: element)
        }
        out.append(contentsOf: Self.suffix)
    }

    package func body(for entries: ArraySlice<OutboxEntry>, allocator: ByteBufferAllocator = .init()) -> ByteBuffer {
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
