import Foundation
import HTTPTypes
import Hummingbird
import JSONKit
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A local stand-in for TikTok's Events API, for tests and demos without a TikTok account.
///
/// It answers `POST /open_api/v1.3/event/track/` like TikTok (`{code, message, request_id}`): it
/// checks the `Access-Token` header, the envelope, at most 1,000 events, each event's required
/// fields and hashed identifiers, and refuses the whole request (code 40002, naming `data[i]`) when
/// one row is bad. Accepted events are deduplicated by (event, event_id), as TikTok does.
/// `POST /open_api/v1.3/offline/track/` answers the connection check.
///
/// A request's `test_event_code` is read at the top level of the body, as TikTok does; its events
/// are counted apart (``MockTikTokStats/testEvents``), and an element that carries its own
/// `test_event_code` is refused (code 40002), since TikTok ignores it there. Unknown paths (404)
/// and bodies over the limit (413) are answered in TikTok's JSON too, and a connection that
/// sends nothing for ``MockTikTokConfiguration/idleTimeout`` is closed.
///
/// Test hooks: `GET /__stats` returns ``MockTikTokStats`` as JSON, `GET /__event_ids` the live
/// events' ids (``eventIDs``); `POST /__revoke` revokes the
/// `Access-Token` it carries (later requests with it get code 40105).
///
/// ```swift
/// let mock = MockTikTok(configuration: .init(failRate: 0.2))
/// let port = try await mock.start()
/// // … send to http://127.0.0.1:\(port)
/// print(mock.stats.uniqueEvents)
/// await mock.stop()
/// ```
public final class MockTikTok: Sendable {
    public static let eventsPath = "/open_api/v1.3/event/track/"
    public static let connectionCheckPath = "/open_api/v1.3/offline/track/"

    private struct State: Sendable {
        var stats = MockTikTokStats()
        /// Every live event taken, with the event sets it was taken for (TikTok deduplicates
        /// within an event set; most events reach one).
        var seen: [HashedKey: EventSets] = [:]
        var seenTests = Set<HashedKey>()
        var revokedTokens = Set<String>()
        var random: SplitMix64
        var nextRequestID = 0
        /// Requests being answered that carry each event_id.
        var inFlight: [HashedKey: Int] = [:]

        /// Records the live event `key` as taken for `eventSet`; false when that set had it already.
        mutating func take(_ key: HashedKey, for eventSet: String) -> Bool {
            guard let index = seen.index(forKey: key) else {
                seen[key] = EventSets(first: eventSet)
                return true
            }
            return seen.values[index].insert(eventSet)
        }
    }

    /// A key hashed once, when made: the ledgers grow to millions of events, and each time a
    /// table grows it rehashes every key, which for a stored hash is one word instead of the text.
    struct HashedKey: Hashable, Sendable {
        let text: String
        private let hash: Int

        init(_ text: String) {
            self.text = text
            hash = text.hashValue
        }

        static func == (a: HashedKey, b: HashedKey) -> Bool { a.hash == b.hash && a.text == b.text }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }

    /// The event sets an event was taken for: nearly always one, kept without a list.
    struct EventSets: Sendable {
        let first: String
        var more: [String] = []

        func contains(_ eventSet: String) -> Bool { first == eventSet || more.contains(eventSet) }

        /// Adds `eventSet`; false when it is there already.
        mutating func insert(_ eventSet: String) -> Bool {
            guard first != eventSet, !more.contains(eventSet) else { return false }
            more.append(eventSet)
            return true
        }
    }

    /// Documents that have read a request body before: a new one per request would grow its
    /// buffers (a megabyte for a full request) afresh every time.
    private let documents = Mutex<[JSONDocument]>([])

    public let configuration: MockTikTokConfiguration
    private let state: Mutex<State>
    private let server = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)
    private let logger: Logger

    /// - Parameter logger: the server's own logger; quiet (warnings and up) by default.
    public init(configuration: MockTikTokConfiguration = .init(), logger: Logger = MockTikTok.quietLogger) {
        self.configuration = configuration
        self.state = Mutex(State(random: SplitMix64(seed: configuration.seed)))
        self.logger = logger
    }

    /// What the stand-in has counted so far.
    public var stats: MockTikTokStats { state.withLock { $0.stats } }

    /// The `event_id` of every live event taken so far, sorted (`GET /__event_ids`): what a test
    /// checks acknowledged events against, one by one.
    public var eventIDs: [String] { eventIDs(eventSourceID: nil) }

    /// What ``stats`` counts for one event source only (`GET /__stats?event_source_id=ID`):
    /// TikTok deduplicates per event source, so the figures of one are what it would count for
    /// it. ``MockTikTokStats/overlappingEvents`` still counts every source.
    public func stats(eventSourceID: String?) -> MockTikTokStats {
        let all = stats
        guard let eventSourceID else { return all }
        let set = all.eventSets[eventSourceID] ?? EventSetStats()
        var one = MockTikTokStats()
        one.requests = set.requests + set.rejectedRequests
        one.eventsReceived = set.eventsReceived
        one.uniqueEvents = set.uniqueEvents
        one.testEvents = set.testEvents
        one.rejectedRequests = set.rejectedRequests
        one.overlappingEvents = all.overlappingEvents
        if all.eventSets[eventSourceID] != nil { one.eventSets = [eventSourceID: set] }
        return one
    }

    /// The `event_id` of every live event taken for `eventSourceID` (every source when nil), sorted
    /// (`GET /__event_ids?event_source_id=ID`); an id taken for two sources is listed once either way.
    public func eventIDs(eventSourceID: String?) -> [String] {
        state.withLock { state in
            state.seen.compactMap { key, sets in
                guard eventSourceID.map(sets.contains) ?? true else { return nil }
                return key.text.split(separator: "\u{1F}", maxSplits: 1).last.map(String.init)
            }
        }.sorted()
    }

    /// Starts listening and returns the bound port.
    public func start() async throws -> Int {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(
                configuration.idleTimeout.components.seconds * 1_000_000_000 + configuration.idleTimeout.components.attoseconds / 1_000_000_000))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "mock-tiktok"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(services: [app], logger: logger)
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        server.withLock { $0 = (group, task) }
        for await port in portStream { return port }
        _ = try await task.value
        throw MockTikTokError.didNotStart
    }

    /// Runs until the task is cancelled (for the command-line tool).
    public func run() async throws {
        _ = try await start()
        try await server.withLock { $0?.task }?.value
    }

    /// Stops listening after answering the requests in progress.
    public func stop() async {
        guard let (group, task) = server.withLock({ server in defer { server = nil }; return server }) else { return }
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    public static var quietLogger: Logger {
        var logger = Logger(label: "mock-tiktok")
        logger.logLevel = .warning
        return logger
    }

    /// Revokes a token: later requests carrying it are refused with code 40105.
    public func revoke(token: String) {
        _ = state.withLock { $0.revokedTokens.insert(token) }
    }

    // MARK: Routes

    private func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: TikTokStyleErrors())
        router.post(RouterPath(Self.eventsPath)) { request, _ in
            try await self.track(request)
        }
        router.post(RouterPath(Self.connectionCheckPath)) { request, _ in
            try await self.checkConnection(request)
        }
        router.get("/__stats") { request, _ in
            let stats = self.stats(eventSourceID: request.uri.queryParameters["event_source_id"].map(String.init))
            return Self.json(String(decoding: try JSONEncoder.stats.encode(stats), as: UTF8.self))
        }
        router.get("/__event_ids") { request, _ in
            let ids = self.eventIDs(eventSourceID: request.uri.queryParameters["event_source_id"].map(String.init))
            return Self.json(String(decoding: try JSONEncoder().encode(["event_ids": ids]), as: UTF8.self))
        }
        router.post("/__revoke") { request, _ in
            guard let token = request.headers[.accessToken], !token.isEmpty else {
                return Self.reply(code: 40001, message: "Access-Token header is required", requestID: "revoke")
            }
            self.revoke(token: token)
            return Self.reply(code: 0, message: "OK", requestID: "revoke")
        }
        return router
    }

    private func track(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        var document = documents.withLock { $0.popLast() } ?? JSONDocument()
        let parsed = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) in try document.parse(bytes) }
        }
        let verdict = (try? parsed.get()).map { EventsRequestValidator.validate(document) }
        // The event set the body names, even when its rows are refused: refusals count for it too.
        let eventSetID = (try? parsed.get()) != nil ? document.value(atKeys: [Array("event_source_id".utf8)])?.stringValue : nil
        documents.withLock { if $0.count < 16 { $0.append(document) } }
        // Whatever the answer, the events of a well-formed request are in flight until it is given.
        let inFlight = (try? verdict?.get())?.events.compactMap { $0.eventID.map(HashedKey.init) } ?? []
        enterFlight(inFlight)
        defer { leaveFlight(inFlight) }
        if configuration.latency > .zero { try await Task.sleep(for: configuration.latency) }
        let (requestID, fault) = state.withLock { state -> (String, Fault?) in
            state.stats.requests += 1
            state.nextRequestID += 1
            let every = configuration.rateLimitEvery
            let fault: Fault? =
                if configuration.failRate > 0, state.random.nextUnit() < configuration.failRate { .serverError }
                else if every > 0, state.stats.requests % every == 0 { .rateLimited }
                else { nil }
            return ("mock-\(state.nextRequestID)", fault)
        }
        switch fault {
        case .serverError:
            return refuse(status: .internalServerError, code: 50000, message: "Internal error (injected)", requestID: requestID, eventSetID: eventSetID)
        case .rateLimited:
            var response = refuse(code: 40100, message: "Too many requests. Please retry in some time.", requestID: requestID, eventSetID: eventSetID)
            if let seconds = configuration.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
            return response
        case nil:
            break
        }
        if let refusal = authenticate(request) {
            return refuse(code: refusal.code, message: refusal.message, requestID: requestID, eventSetID: eventSetID)
        }
        if case .failure(let error) = parsed {
            return refuse(code: 40002, message: "Invalid JSON body: \(error)", requestID: requestID, eventSetID: eventSetID)
        }
        switch verdict ?? .failure(.init("no body")) {
        case .failure(let refusal):
            return refuse(code: 40002, message: "Invalid parameter: \(refusal.message)", requestID: requestID, eventSetID: eventSetID)
        case .success(let accepted):
            if let row = accepted.events.firstIndex(where: { $0.eventID.map(configuration.refuses(eventID:)) ?? false }) {
                return refuse(code: 40002, message: "Invalid parameter: data[\(row)] was refused (mock-tiktok --refuse-rate)", requestID: requestID, eventSetID: eventSetID)
            }
            state.withLock { state in
                state.stats.eventsReceived += accepted.events.count
                let scope = accepted.testEventCode.map { "test\u{1F}" + $0 + "\u{1F}" } ?? ""
                var set = state.stats.eventSets[accepted.eventSetID] ?? EventSetStats()
                set.eventSource = accepted.eventSource
                set.requests += 1
                set.eventsReceived += accepted.events.count
                for event in accepted.events {
                    let key = HashedKey(scope + (event.eventID.map { event.event + "\u{1F}" + $0 } ?? "\(event.event)\u{1F}#\(state.seen.count + state.seenTests.count)"))
                    if accepted.testEventCode == nil {
                        if state.take(key, for: accepted.eventSetID) { set.uniqueEvents += 1 }
                    } else {
                        if state.seenTests.insert(key).inserted { set.testEvents += 1 }
                    }
                }
                state.stats.eventSets[accepted.eventSetID] = set
                state.stats.uniqueEvents = state.seen.count
                state.stats.testEvents = state.seenTests.count
            }
            return Self.reply(code: 0, message: "OK", requestID: requestID)
        }
    }

    /// Marks `eventIDs` as being answered, counting each one that another request is already carrying.
    private func enterFlight(_ eventIDs: [HashedKey]) {
        guard !eventIDs.isEmpty else { return }
        state.withLock { state in
            for id in eventIDs {
                if state.inFlight[id, default: 0] > 0 { state.stats.overlappingEvents += 1 }
                state.inFlight[id, default: 0] += 1
            }
        }
    }

    private func leaveFlight(_ eventIDs: [HashedKey]) {
        guard !eventIDs.isEmpty else { return }
        state.withLock { state in
            for id in eventIDs {
                let left = state.inFlight[id, default: 1] - 1
                state.inFlight[id] = left > 0 ? left : nil
            }
        }
    }

    private func checkConnection(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        let requestID = state.withLock { state in
            state.nextRequestID += 1
            return "mock-\(state.nextRequestID)"
        }
        if let refusal = authenticate(request) {
            return Self.reply(code: refusal.code, message: refusal.message, requestID: requestID)
        }
        guard let json = try? JSON.parse(bytes: body.readableBytesView),
              let eventSetID = json["event_set_id"]?.stringValue, !eventSetID.isEmpty
        else {
            return Self.reply(code: 40002, message: "Invalid parameter: event_set_id is required", requestID: requestID)
        }
        return Self.reply(code: 0, message: "OK", requestID: requestID)
    }

    private func authenticate(_ request: Request) -> (code: Int, message: String)? {
        guard let token = request.headers[.accessToken], !token.isEmpty else {
            return (40001, "Access token is missing. Please provide it in the Access-Token header.")
        }
        if configuration.badToken { return (40001, "Access token is invalid.") }
        if state.withLock({ $0.revokedTokens.contains(token) }) {
            return (40105, "Access token has been revoked or has expired.")
        }
        return nil
    }

    private enum Fault { case serverError, rateLimited }

    // MARK: Responses

    /// Answers with TikTok's error `code`, counted (for `eventSetID` too, when the body named one).
    private func refuse(status: HTTPResponse.Status = .ok, code: Int, message: String, requestID: String, eventSetID: String? = nil) -> Response {
        state.withLock { state in
            state.stats.rejectedRequests += 1
            // A set known from an accepted request, or a new one while there are few: refusals
            // with made-up ids must not grow the table without bound.
            if let eventSetID, state.stats.eventSets[eventSetID] != nil || state.stats.eventSets.count < 1_000 {
                state.stats.eventSets[eventSetID, default: EventSetStats()].rejectedRequests += 1
            }
        }
        return Self.reply(status: status, code: code, message: message, requestID: requestID)
    }

    private static func reply(status: HTTPResponse.Status = .ok, code: Int, message: String, requestID: String) -> Response {
        let body: JSON = ["code": .int(code), "message": .string(message), "request_id": .string(requestID)]
        return json(body.serialized(), status: status)
    }

    private static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }
}

/// Answers the server's own errors (no such path, body too large) in TikTok's JSON, so a client
/// reads them the way it reads TikTok's.
struct TikTokStyleErrors<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let (code, message): (Int, String) = switch error.status {
            case .notFound: (40400, "Not found: \(request.uri.path) is not an Events API path")
            case .contentTooLarge: (40002, "Invalid parameter: the request body is too large")
            default: (error.status.code >= 500 ? 50000 : 40000, error.status.reasonPhrase)
            }
            let body: JSON = ["code": .int(code), "message": .string(message), "request_id": .string("mock-error")]
            return Response(
                status: error.status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body.serialized())))
        }
    }
}

public enum MockTikTokError: Error, CustomStringConvertible {
    case didNotStart
    public var description: String { "the stand-in server stopped before it was listening" }
}

extension HTTPField.Name {
    static let accessToken = HTTPField.Name("Access-Token")!
}

extension JSONEncoder {
    static var stats: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
