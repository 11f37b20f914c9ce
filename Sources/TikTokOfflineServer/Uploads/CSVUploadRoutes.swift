import ConversionEngine
import Delivery
import Hummingbird
import JSONKit
import MappingKit
import TikTokOffline

/// `POST /v1/csv`: a CSV export uploaded whole (a till's, a CRM's), behind a write key. Each
/// row becomes an event exactly as `run --input-format csv` reads it, and goes through the
/// same mappings. Rows are stored in chunks through the ingest queue; the answer comes once
/// every usable row is committed, and says what became of the rest.
extension TikTokOfflineServer {
    static let csvUploadPath = "/v1/csv"
    /// Refusals listed in one answer; `refused_total` counts them all.
    static let maxListedRefusals = 1_000

    func addUploadRoutes(to router: Router<BasicRequestContext>) {
        router.post(RouterPath(Self.csvUploadPath)) { request, _ in
            let start = ContinuousClock.now
            let response = await self.uploadCSV(request)
            self.metrics.request(route: Self.csvUploadPath, status: response.status.code, seconds: (ContinuousClock.now - start).inSeconds)
            return response
        }
    }

    private func uploadCSV(_ request: Request) async -> Response {
        if isShuttingDown { return Self.failure(.serviceUnavailable, "the service is shutting down") }
        // A CSV body cannot carry a writeKey member: the key comes as the HTTP Basic user name only.
        guard credentials.isWriteKey(Credentials.basicUser(request.headers)) else {
            return Self.failure(.unauthorized, "a CSV upload needs a write key as the HTTP Basic user name (curl -u KEY: …)")
        }
        let delimiter: UInt8
        if let name = request.uri.queryParameters.get("delimiter") {
            guard let named = InputFormat.csvDelimiter(named: name) else {
                return Self.failure(.badRequest, "delimiter must be one printable ASCII character other than a quote, or tab")
            }
            delimiter = named
        } else {
            let type = request.headers[.contentType]?.lowercased() ?? ""
            delimiter = type.hasPrefix("text/tab-separated-values") ? 0x09 : UInt8(ascii: ",")
        }
        let body: [UInt8]
        do {
            body = try await RequestBody.read(request, maxBytes: configuration.maxUploadBytes, timeout: configuration.uploadTimeout).bytes
        } catch {
            return Self.failure(error)
        }

        let source = CSVSource(bytes: body, delimiter: delimiter, maxEventBytes: configuration.maxEventBytes)
        var upload = UploadTally()
        var rows = RawEvents()
        while true {
            rows.removeAll()
            do {
                try source.read(upTo: configuration.queue.maxBatchEvents, into: &rows)
            } catch {
                return Self.failure(.badRequest, "\(error)")
            }
            if rows.isEmpty { break }
            do {
                let ingested = try await submitWaitingOutOverload(rows)
                upload.add(ingested)
                metrics.recorded(ingested, route: Self.csvUploadPath)
            } catch {
                if !(error is IngestQueueError) {
                    logger.error("CSV rows could not be stored", metadata: ["error": "\(OutboxError.describe(error))"])
                }
                return upload.partialFailure(error, nextLine: rows.entries[0].number)
            }
        }
        return Self.json(.ok, upload.answer)
    }

    /// Submits one chunk; while the queue is full (live traffic beside a large upload), waits
    /// for it to drain for at most the upload timeout instead of failing the upload.
    private func submitWaitingOutOverload(_ rows: RawEvents) async throws -> IngestedBatch {
        let deadline = ContinuousClock.now + configuration.uploadTimeout
        while true {
            do {
                return try await queue.submit(rows)
            } catch IngestQueueError.overloaded where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

/// What an upload has become so far.
private struct UploadTally {
    var totals = Ingest.Totals()
    var refused: [Ingest.Rejection] = []
    var refusedTotal = 0
    var quality = MatchQuality()

    mutating func add(_ ingested: IngestedBatch) {
        totals.add(ingested.totals)
        let rejections = ingested.rejections
        refusedTotal += rejections.count
        refused += rejections.prefix(TikTokOfflineServer.maxListedRefusals - refused.count)
        quality.add(ingested.batch.records)
    }

    /// `{"success":true,"received":…,"stored":…,"refused":[{"line":…,"mapping":…,"reason":…}],…}`,
    /// with `"nothing_stored":true` and a `"warning"` saying why when no row was stored.
    var answer: JSON {
        var answer: JSONObject = [
            "success": true, "received": .int(totals.received), "stored": .int(totals.accepted),
            "rejected": .int(totals.rejected), "skipped": .int(totals.skipped), "unreadable_rows": .int(totals.badLines),
            "unmapped": .int(totals.unmapped), "refused_total": .int(refusedTotal),
            "refused": .array(refused.map { rejection in
                var entry: JSONObject = ["line": .int(rejection.line)]
                if let mapping = rejection.mapping { entry["mapping"] = .string(mapping) }
                entry["reason"] = .string(rejection.reason)
                return .object(entry)
            }),
            "match_quality": quality.json,
        ]
        if totals.accepted == 0 {
            answer["nothing_stored"] = true
            answer["warning"] = .string(nothingStoredReason)
        }
        return .object(answer)
    }

    /// Why no row was stored, in the figures of the upload.
    var nothingStoredReason: String {
        guard totals.received > 0 else { return "nothing was stored: the file has no rows under its header" }
        var parts: [String] = []
        if totals.unmapped > 0 {
            parts.append("\(totals.unmapped) fired no enabled mapping (do the mappings' triggers match the header's columns?)")
        }
        if totals.rejected > 0 { parts.append("\(totals.rejected) were refused by a mapping (see refused)") }
        if totals.badLines > 0 { parts.append("\(totals.badLines) were unreadable (see refused)") }
        if totals.skipped > 0 { parts.append("\(totals.skipped) were skipped for want of consent") }
        return "nothing was stored: of \(totals.received) row\(totals.received == 1 ? "" : "s"), " + parts.joined(separator: ", ")
    }

    /// 503 when a chunk could not be stored: the rows before `nextLine` are stored, the rest are not.
    func partialFailure(_ error: any Error, nextLine: Int) -> Response {
        let reason = (error as? IngestQueueError)?.description ?? "the rows could not be stored: \(OutboxError.describe(error))"
        var response = TikTokOfflineServer.json(.serviceUnavailable, .object([
            "success": false, "error": .string(reason), "stored": .int(totals.accepted), "stored_before_line": .int(nextLine),
        ]))
        response.headers[.retryAfter] = "5"
        return response
    }
}
