import ConversionEngine
import Hummingbird
import JSONKit
import MappingKit
import NIOCore

/// `/healthz` (the process answers), `/readyz` (it can take events and deliver them) and
/// `/metrics` (Prometheus text) and `/match-quality` (JSON since start), behind the admin token.
extension TikTokOfflineServer {
    func addOperationsRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            Self.json(.ok, ["status": "alive"])
        }
        router.get("/readyz") { _, _ in
            if let reason = self.unreadiness { return Self.json(.serviceUnavailable, ["ready": false, "reason": .string(reason)]) }
            return Self.json(.ok, ["ready": true])
        }
        router.get("/metrics") { request, _ in
            guard self.credentials.hasAdminToken else { return Self.failure(.notFound, "no admin token is configured") }
            guard self.credentials.isAdmin(request.headers) else { return Self.unauthorizedAdmin() }
            if let counts = try? await self.outbox.counts() {
                self.metrics.pending.record(counts.pending)
                self.metrics.deadLetters.record(counts.deadLetters)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.emit())))
        }

        router.get("/match-quality") { request, _ in
            guard self.credentials.hasAdminToken else { return Self.failure(.notFound, "no admin token is configured") }
            guard self.credentials.isAdmin(request.headers) else { return Self.unauthorizedAdmin() }
            return Self.json(.ok, self.metrics.matchQuality.json)
        }
    }

    static func unauthorizedAdmin() -> Response {
        var response = failure(.unauthorized, "this needs Authorization: Bearer <admin token>")
        response.headers[.wwwAuthenticate] = #"Bearer realm="tiktok-offline""#
        return response
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addIngestRoutes(to: router)
        addUploadRoutes(to: router)
        addOperationsRoutes(to: router)
        addDebugRoutes(to: router)
        return router
    }
}
