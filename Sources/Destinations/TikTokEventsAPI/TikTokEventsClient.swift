import Delivery
import Foundation
import AsyncHTTPClient
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Sends batches to TikTok's Events API over AsyncHTTPClient; the ``BatchTransport`` a
/// ``Deliverer`` drains the outbox through.
///
/// Each request carries one route's token in the `Access-Token` header. Failures come back as
/// ``TransportOutcome`` values (see ``TikTokReply/outcome(retryAfter:)``), never as thrown errors.
/// Logs name routes, counts and TikTok's messages, never tokens or event contents.
public struct TikTokEventsClient: BatchTransport {
    public var endpoint: TikTokEndpoint
    /// Longest wait for one request, connecting included.
    public var timeout: Duration
    private let routes: [String: Route]
    private let httpClient: HTTPClient
    private let logger: Logger
    private let latency = Timer(label: "tiktok_request_duration_seconds", preferredDisplayUnit: .seconds)

    private struct Route: Sendable {
        var route: TikTokRoute
        var envelope: TikTokEnvelope
    }

    /// - Parameter httpClient: shared client; its connection pool bounds connections per host.
    public init(
        endpoint: TikTokEndpoint = .production,
        routes: [TikTokRoute],
        httpClient: HTTPClient = .shared,
        timeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "tiktok.events")
    ) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.httpClient = httpClient
        self.logger = logger
        var byDestination: [String: Route] = [:]
        for route in routes {
            byDestination[route.outboxDestination] = Route(route: route, envelope: TikTokEnvelope(route: route))
        }
        self.routes = byDestination
    }

    /// An HTTP client for a long delivery: a refused connection fails at once and one to an
    /// unreachable host after `connectTimeout`, instead of taking a whole request's time. Each
    /// failure is then an attempt the ``Deliverer`` retries, counts and logs (AsyncHTTPClient's
    /// own quiet reconnecting until its deadline is turned off). Shut it down after use.
    public static func makeHTTPClient(connectTimeout: Duration) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: TimeAmount(connectTimeout))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The outbox destination keys this client was given routes for.
    public var destinations: [String] { routes.keys.sorted() }

    /// Whether this client can send `destination`'s events: one of its routes, or one of them
    /// with another test code (``TikTokRoute/route(forDestination:)``).
    public func canSend(to destination: String) -> Bool { route(for: destination) != nil }

    private func route(for destination: String) -> Route? {
        if let route = routes[destination] { return route }
        for known in routes.values {
            if let route = known.route.route(forDestination: destination) {
                return Route(route: route, envelope: TikTokEnvelope(route: route))
            }
        }
        return nil
    }

    public func send(_ entries: ArraySlice<OutboxEntry>, destination: String) async -> TransportOutcome {
        guard let route = route(for: destination) else {
            return .unauthorized(reason: "no access token configured for \(destination)")
        }
        let body = route.envelope.body(for: entries)
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            latency.recordNanoseconds(Int64(elapsed.components.seconds) * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        do {
            let (reply, retryAfter) = try await post(body, to: endpoint.eventsURL, token: route.route.accessToken)
            let outcome = reply.outcome(retryAfter: retryAfter)
            if case .accepted = outcome {} else {
                logger.debug("events request not accepted", metadata: [
                    "destination": "\(destination)", "events": "\(entries.count)", "reply": "\(reply.describe())",
                    "request_id": "\(reply.requestID ?? "-")",
                ])
            }
            return outcome
        } catch {
            return .retryable(reason: "network: \(Self.describe(error, endpoint: endpoint.baseURL))", retryAfter: nil)
        }
    }

    /// Posts a JSON body with the token; returns TikTok's reply and any `Retry-After` wait.
    package func post(_ body: ByteBuffer, to url: String, token: String) async throws -> (TikTokReply, Duration?) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Access-Token", value: token)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let response = try await httpClient.execute(request, timeout: .init(timeout))
        let responseBody = try await response.body.collect(upTo: 1 << 20)
        let reply = TikTokReply(status: Int(response.status.code), body: responseBody.readableBytesView)
        return (reply, Self.retryAfter(response.headers))
    }

    /// `Retry-After` in seconds (the HTTP-date form is rare for APIs and ignored), capped at 10 minutes.
    package static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers.first(name: "Retry-After"),
              let seconds = Int(value.trimmingCharacters(in: .whitespaces)), seconds >= 0
        else { return nil }
        return .seconds(min(seconds, 600))
    }

    /// A network failure in words: what happened and, where it helps, what to check.
    package static func describe(_ error: any Error, endpoint: String = "") -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "no connection to \(endpoint) within the connect timeout (host down or unreachable?)"
            case .deadlineExceeded: return "no reply from \(endpoint) within the request timeout"
            case .readTimeout: return "\(endpoint) stopped answering mid-reply"
            case .remoteConnectionClosed: return "\(endpoint) closed the connection"
            default: return "\(error)"
            }
        }
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused by \(endpoint) (nothing listens there: check --endpoint)"
            case ECONNRESET: return "\(endpoint) reset the connection"
            case EHOSTUNREACH, ENETUNREACH: return "\(endpoint) is unreachable from this host"
            default: return "\(endpoint): \(error)"
            }
        }
        return String(describing: type(of: error)) + ": \(error)"
    }
}

extension TimeAmount {
    package init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

