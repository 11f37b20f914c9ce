import CompressNIO
import Hummingbird
import NIOCore

/// Reads a request body within the service's bounds: at most `maxBytes` on the wire and,
/// for `Content-Encoding: gzip`, at most `maxBytes` once inflated (a small bomb cannot grow
/// past it), within `timeout` (a client that trickles its body is cut off).
struct RequestBody {
    /// The body as sent, before any inflating: what a signature is computed over.
    var received: ByteBuffer
    /// The body to read: `received`, inflated when it was gzipped.
    var bytes: [UInt8]

    enum Failure: Error {
        /// The body is over the limit: answered with 413.
        case tooLarge(limit: Int)
        /// An encoding we do not read, or a gzip stream that does not inflate: answered with 400 or 415.
        case unsupportedEncoding(String)
        case corrupt
        /// The client did not send its body in time: answered with 408.
        case timedOut
    }

    static func read(_ request: Request, maxBytes: Int, timeout: Duration) async throws(Failure) -> RequestBody {
        let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces) ?? "identity"
        guard ["identity", "gzip", "x-gzip"].contains(encoding) else { throw .unsupportedEncoding(encoding) }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes { throw .tooLarge(limit: maxBytes) }
        var buffer: ByteBuffer
        do {
            buffer = try await withThrowingTaskGroup(of: ByteBuffer.self) { group in
                group.addTask { try await request.body.collect(upTo: maxBytes) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw Failure.timedOut
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .tooLarge(limit: maxBytes)
        }
        guard encoding != "identity" else { return RequestBody(received: buffer, bytes: Array(buffer.readableBytesView)) }
        let received = buffer
        do {
            // CompressNIO's maxSize bounds the buffer it grows, not the bytes it writes (it let
            // 720,000 bytes through a 512,000 limit): the limit is checked again on what came out.
            let inflated = try buffer.decompress(with: .gzip(), maxSize: maxBytes)
            guard inflated.readableBytes <= maxBytes else { throw Failure.tooLarge(limit: maxBytes) }
            return RequestBody(received: received, bytes: Array(inflated.readableBytesView))
        } catch let failure as Failure {
            throw failure
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw .tooLarge(limit: maxBytes)
        } catch {
            throw .corrupt
        }
    }
}
