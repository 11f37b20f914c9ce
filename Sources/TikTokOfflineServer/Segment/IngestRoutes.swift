import ConversionEngine
import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import JSONKit
import MappingKit
import NIOCore
import TikTokOffline

/// Segment's HTTP Tracking API and Webhooks destination: read, authenticate, decode, store,
/// answer. The answer is written only after every usable event of the request is committed.
extension TikTokOfflineServer {
    /// The Tracking API's paths: the documented ones and the short ones the SDKs use.
    static let trackingPaths: [(path: String, shape: SegmentPayload.Shape)] = {
        var paths: [(String, SegmentPayload.Shape)] = []
        for type in ["track", "identify", "page", "screen", "group", "alias"] {
            paths.append(("/v1/\(type)", .single(type)))
            paths.append(("/v1/\(type.prefix(1))", .single(type)))
        }
        return paths + [("/v1/batch", .batch), ("/v1/b", .batch), ("/v1/import", .batch)]
    }()

    func addIngestRoutes(to router: Router<BasicRequestContext>) {
        for (path, shape) in Self.trackingPaths {
            let label = path
            router.post(RouterPath(path)) { request, _ in
                await self.ingest(request, shape: shape, route: label)
            }
        }
        router.post("/webhook") { request, _ in
            await self.ingest(request, shape: .webhook, route: "/webhook")
        }
    }

    /// One ingest request from start to answer, counted in the metrics whatever happens.
    private func ingest(_ request: Request, shape: SegmentPayload.Shape, route: String) async -> Response {
        let start = ContinuousClock.now
        let response = await answer(request, shape: shape, route: route)
        metrics.request(route: route, status: response.status.code, seconds: (ContinuousClock.now - start).inSeconds)
        return response
    }

    private func answer(_ request: Request, shape: SegmentPayload.Shape, route: String) async -> Response {
        if case .webhook = shape, !credentials.acceptsWebhooks { return Self.failure(.notFound, "no webhook secret is configured") }
        if isShuttingDown { return Self.failure(.serviceUnavailable, "the service is shutting down") }
        let basicUser = Credentials.basicUser(request.headers)
        if let basicUser, !credentials.isWriteKey(basicUser) { return Self.failure(.unauthorized, "unknown write key") }

        let read: RequestBody
        do {
            read = try await RequestBody.read(request, maxBytes: configuration.maxRequestBytes, timeout: configuration.bodyTimeout)
        } catch {
            return Self.failure(error)
        }
        let body = read.bytes
        if case .webhook = shape {
            // Over the bytes as sent: a gzipped webhook is signed before it is compressed.
            guard credentials.isSignedWebhook(request.headers, body: Array(read.received.readableBytesView)) else {
                return Self.failure(.unauthorized, "X-Signature does not match the body (HMAC-SHA1 with the webhook secret)")
            }
        }
        let decoded: SegmentPayload.Decoded
        do {
            decoded = try SegmentPayload.decode(body, shape: shape, maxEventBytes: configuration.maxEventBytes)
        } catch {
            if case .webhook = shape {} else if basicUser == nil, !credentials.isWriteKey(Self.bodyWriteKey(body)) {
                return Self.failure(.unauthorized, "no valid write key (HTTP Basic user name or \"writeKey\")")
            }
            metrics.events(route: route, outcome: "refused", count: 1)
            return Self.failure(.badRequest, error.message)
        }
        if case .webhook = shape {} else if basicUser == nil, !credentials.isWriteKey(decoded.writeKey) {
            return Self.failure(.unauthorized, "no valid write key (HTTP Basic user name or \"writeKey\")")
        }

        let ingested: IngestedBatch
        do {
            ingested = try await queue.submit(decoded.events)
        } catch let error as IngestQueueError {
            var response = Self.failure(.serviceUnavailable, error.description)
            response.headers[.retryAfter] = "1"
            return response
        } catch {
            logger.error("events could not be stored", metadata: ["error": "\(OutboxError.describe(error))"])
            var response = Self.failure(.serviceUnavailable, "the events could not be stored: \(OutboxError.describe(error))")
            response.headers[.retryAfter] = "5"
            return response
        }
        return respond(to: decoded, ingested, route: route)
    }

    /// `{"success":true}`, plus `refused` when some events or records were refused (the rest are stored).
    private func respond(to decoded: SegmentPayload.Decoded, _ ingested: IngestedBatch, route: String) -> Response {
        var refused: [(index: Int, mapping: String?, reason: String)] = decoded.refused.map { ($0.index, nil, $0.reason) }
        for rejection in ingested.rejections { refused.append((rejection.line - 1, rejection.mapping, rejection.reason)) }
        refused.sort { $0.index < $1.index }
        metrics.events(route: route, outcome: "refused", count: decoded.refused.count)
        metrics.recorded(ingested, route: route)
        if feed.isWatched { publish(decoded, ingested) }

        var answer: JSONObject = ["success": true]
        if !refused.isEmpty {
            answer["refused"] = .array(refused.map { item in
                var entry: JSONObject = ["index": .int(item.index)]
                if let id = decoded.messageIDs[item.index] { entry["messageId"] = .string(id) }
                if let mapping = item.mapping { entry["mapping"] = .string(mapping) }
                entry["reason"] = .string(item.reason)
                return .object(entry)
            })
        }
        return Self.json(.ok, .object(answer))
    }

    /// Tells open debug views what became of each event of a request, in one publication.
    private func publish(_ decoded: SegmentPayload.Decoded, _ ingested: IngestedBatch) {
        let builder = current.builder
        var messages: [(message: DebugFeed.Message, awaiting: String?, messageID: String?, mapping: String)] = []
        func refused(_ index: Int, _ reason: String) {
            guard feed.admit(testEventCode: nil, toEveryViewer: true) else { return }
            messages.append((.init(testEventCode: nil, json: [
                "message_id": decoded.messageIDs[index].map(JSON.string) ?? .null, "mapping": .null,
                "outcome": "rejected", "reason": .string(reason),
            ], toEveryViewer: true), nil, nil, ""))
        }
        for refusal in decoded.refused { refused(refusal.index, refusal.reason) }
        for error in ingested.eventErrors { refused(error.line - 1, error.reason) }
        for (i, record) in ingested.batch.records.enumerated() {
            let code = builder.testEventCode(for: record.fields)
            // A record refused before its fields were made has no code to read: every viewer sees it.
            let unknownCode = code == nil && !record.outcome.isSentOrSkipped
            guard feed.admit(testEventCode: code, toEveryViewer: unknownCode) else { continue }
            let messageID = decoded.messageIDs[record.line - 1]
            var json: JSONObject = [
                "message_id": messageID.map(JSON.string) ?? .null, "mapping": .string(record.mapping),
            ]
            var key: String?
            switch record.outcome {
            case .sent:
                json["outcome"] = "stored"
                key = OutboxMessage(tiktokRecord: record)?.key
            case .rejected(let reason):
                json["outcome"] = "rejected"
                json["reason"] = .string(reason)
            case .skipped(let reason):
                json["outcome"] = "skipped"
                json["reason"] = .string(reason)
            case .pending:
                json["outcome"] = "rejected"
                json["reason"] = "not sent: no stage settled the record"
            }
            json["test_event_code"] = code.map(JSON.string) ?? .null
            if i < ingested.traces.count {
                json["trace"] = .array(ingested.traces[i].compactMap { try? JSON.parse($0) })
            }
            messages.append((.init(testEventCode: code, json: .object(json), toEveryViewer: unknownCode), key, messageID, record.mapping))
        }
        feed.publish(messages)
    }

    /// The `writeKey` member of a body that did not decode, if it is an object that has one.
    private static func bodyWriteKey(_ body: [UInt8]) -> String? {
        (try? JSON.parse(bytes: body, limits: JSONLimits(maxDepth: 64, maxBytes: max(body.count, 1))))?["writeKey"]?.stringValue
    }

    /// The answer to a body that could not be read.
    static func failure(_ error: RequestBody.Failure) -> Response {
        switch error {
        case .tooLarge(let limit): failure(.contentTooLarge, "the request is over the limit of \(limit) bytes")
        case .unsupportedEncoding(let encoding): failure(.unsupportedMediaType, "Content-Encoding \(encoding) is not supported (use gzip or none)")
        case .corrupt: failure(.badRequest, "the gzip body does not inflate")
        case .timedOut: failure(.requestTimeout, "the request body did not arrive in time")
        }
    }

    static func failure(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        json(status, ["success": false, "error": .string(reason)])
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSON) -> Response {
        var bytes: [UInt8] = []
        value.serialize(into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}


extension Outcome {
    fileprivate var isSentOrSkipped: Bool {
        switch self {
        case .sent, .skipped: true
        case .rejected, .pending: false
        }
    }
}
