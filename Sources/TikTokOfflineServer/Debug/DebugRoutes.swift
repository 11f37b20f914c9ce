import Hummingbird
import MappingKit
import NIOCore

/// The live debug view: `GET /debug` (the page) and `GET /debug/events` (Server-Sent Events).
///
/// The page is static and holds no data; it asks for the admin token and reads the stream with
/// `fetch` and an `Authorization: Bearer` header (a browser's `EventSource` cannot send one).
/// The stream needs the token. With no admin token configured, both answer 404.
extension TikTokOfflineServer {
    func addDebugRoutes(to router: Router<BasicRequestContext>) {
        router.get("/debug") { _, _ in
            guard self.credentials.hasAdminToken else { return Self.failure(.notFound, "no admin token is configured") }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8",
                    .contentSecurityPolicy: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
                    .cacheControl: "no-store",
                ],
                body: .init(byteBuffer: ByteBuffer(string: DebugPage.html)))
        }
        router.get("/debug/events") { request, _ in
            guard self.credentials.hasAdminToken else { return Self.failure(.notFound, "no admin token is configured") }
            guard self.credentials.isAdmin(request.headers) else { return Self.unauthorizedAdmin() }
            let code = request.uri.queryParameters["test_event_code"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: .init(asyncSequence: self.feed.subscribe(testEventCode: code)))
        }
    }
}
