import ArgumentParser
import ConversionEngine
import Delivery
import Foundation
import JSONKit
import MappingKit
import TikTokOffline

/// `run`'s exit statuses (documented in docs/delivery.md; other tools rely on them).
enum RunExitStatus: Int32 {
    case delivered = 0
    case configuration = 1
    case refusedCredentials = 3
    case unavailable = 4
    case interrupted = 5
    /// Another process is delivering from the outbox: nothing was read.
    case outboxBusy = 6
    /// The outbox file is damaged: nothing more is accepted or sent; see `outbox recover`.
    case outboxDamaged = 7
    /// The outbox cannot be written (full disk, permissions, I/O error).
    case outboxFailed = 8

    init(_ failure: DeliveryFailure) {
        switch failure {
        case .unauthorized, .misconfigured: self = .refusedCredentials
        case .unavailable: self = .unavailable
        case .busy, .alreadyRunning: self = .outboxBusy
        case .outbox: self = .outboxFailed
        }
    }
}

/// The figures of one run, and how they add up.
struct RunSummary {
    var totals: Ingest.Totals
    var enqueued: EnqueueResult
    var report: DeliveryReport
    var pendingBefore: Int
    /// Nil when the outbox could not be read at the end (damaged).
    var pendingAfter: Int?
    var deadLettersTotal: Int
    var seconds: Double
    var interrupted: Bool
    /// What share of each mapping's records TikTok can match (empty when nothing was read).
    var matchQuality = MatchQuality()

    var json: JSON {
        [
            "received": .int(totals.received), "bad_lines": .int(totals.badLines), "records": .int(totals.records),
            "accepted": .int(totals.accepted), "rejected": .int(totals.rejected), "skipped": .int(totals.skipped),
            "unmapped": .int(totals.unmapped),
            "queued": .int(enqueued.inserted), "duplicates": .int(enqueued.duplicates),
            "pending_before": .int(pendingBefore), "sent": .int(report.sent), "retried": .int(report.retried),
            "added_elsewhere": addedElsewhere.map(JSON.int) ?? .null,
            "delivered_elsewhere": deliveredElsewhere.map(JSON.int) ?? .null,
            "dead_lettered": .int(report.deadLettered), "dead_letters_total": .int(deadLettersTotal),
            "pending": pendingAfter.map(JSON.int) ?? .null, "requests": .int(report.requests),
            "seconds": .double((seconds * 1000).rounded() / 1000),
            "events_per_second": .int(seconds > 0 ? Int(Double(report.sent) / seconds) : 0),
            "failure": report.failure.map { .string($0.description) } ?? .null,
            "interrupted": .bool(interrupted),
            "match_quality": matchQuality.json,
        ]
    }

    /// What other processes changed in the outbox while this run delivered, net: positive when
    /// they stored (or replayed) more than they sent, negative when other deliverers sent
    /// events this run counted as pending.
    private var elsewhere: Int? {
        pendingAfter.map { report.sent + report.deadLettered + $0 - pendingBefore - enqueued.inserted }
    }

    /// Events other processes stored (or replayed) net of what they sent, never negative; with
    /// ``deliveredElsewhere`` what makes `pending before + queued + added elsewhere = sent +
    /// dead-lettered + delivered elsewhere + pending` hold.
    var addedElsewhere: Int? { elsewhere.map { max($0, 0) } }

    /// Events other deliverers sent (or dead-lettered) of those pending, net of what other
    /// processes stored, never negative.
    var deliveredElsewhere: Int? { elsewhere.map { max(-$0, 0) } }

    /// The summary for people; without `input` (for `deliver`), only the delivery lines.
    func text(topReasons reasons: [String: Int], outbox: String, input: Bool = true) -> String {
        var lines = !input ? [] : [
            "received       \(totals.received) events (\(totals.badLines) unreadable lines, \(totals.unmapped) fired no mapping)",
            "records        \(totals.records) (one per event and fired mapping)",
            "  accepted     \(totals.accepted) stored in the outbox (\(enqueued.duplicates) were already there)",
            "  rejected     \(totals.rejected) refused by the pipeline",
            "  skipped      \(totals.skipped)",
        ]
        lines += [
            "sent           \(report.sent) confirmed by TikTok (\(pendingBefore) were pending from an earlier run\(elsewhereNote))",
            "retried        \(report.retried) event sends repeated after rate limits or errors",
            "dead-lettered  \(report.deadLettered) refused by TikTok (\(deadLettersTotal) in the outbox: `tiktok-offline dead-letters list --outbox \(outbox)`)",
            "pending        \(pendingAfter.map(String.init) ?? "unknown") still in the outbox",
            String(format: "time           %.1f s, %.0f events/s sent", seconds, seconds > 0 ? Double(report.sent) / seconds : 0),
        ]
        let top = Self.byKind(reasons).sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(5)
        if !top.isEmpty {
            lines.append("most common rejection reasons:")
            lines += top.map { "  \($0.value) × \($0.key)" }
        }
        if input && !matchQuality.order.isEmpty { lines.append(matchQuality.table()) }
        return lines.joined(separator: "\n")
    }

    /// Rejection reasons grouped by kind: reasons that differ only in their figures (`stale:
    /// the event is 1052 days old`, `… 1053 days old`) are one kind, its figures written `N`.
    static func byKind(_ reasons: [String: Int]) -> [String: Int] {
        var kinds: [String: Int] = [:]
        for (reason, count) in reasons { kinds[kind(of: reason), default: 0] += count }
        return kinds
    }

    /// `reason` with every run of digits (and the decimal part of a number) written `N`.
    static func kind(of reason: String) -> String {
        let characters = Array(reason)
        func isDigit(_ i: Int) -> Bool { i < characters.count && characters[i].isASCII && characters[i].isNumber }
        var kind = ""
        var i = 0
        while i < characters.count {
            guard isDigit(i) else {
                kind.append(characters[i])
                i += 1
                continue
            }
            kind.append("N")
            while isDigit(i) || (i < characters.count && characters[i] == "." && isDigit(i + 1)) { i += 1 }
        }
        return kind
    }

    /// What other processes did meanwhile, for the `sent` line; empty when this run was alone.
    private var elsewhereNote: String {
        switch elsewhere ?? 0 {
        case 0: ""
        case let n where n > 0: ", \(n) were stored by other processes meanwhile"
        case let n: ", \(-n) of them were delivered by other processes meanwhile"
        }
    }

    /// What `--strict` counts as refused in this run.
    var refusals: [String] { StrictOption.refusals(in: totals, deadLettered: report.deadLettered) }

    func explain(_ failure: DeliveryFailure, outbox: String) -> String {
        let kept = "\(pendingAfter.map(String.init) ?? "the") events are kept in the outbox and will be sent by the next run"
        return switch failure {
        case .unauthorized(let reason):
            "TikTok refused the access token (\(reason)). Delivery stopped; \(kept) with a valid token. Check it with `tiktok-offline check-auth`."
        case .misconfigured(let reason):
            "TikTok refused the requests themselves (\(reason)). Delivery stopped; \(kept) once the endpoint or event set id is fixed."
        case .unavailable(let reason):
            "TikTok kept failing (\(reason)). Delivery stopped; \(kept)."
        case .outbox(let reason):
            "the outbox failed (\(reason)); \(kept) once it can be written again."
        case .busy:
            "another process is delivering from \(outbox); nothing was read. Run again when it has finished, or give this run its own --outbox."
        case .alreadyRunning:
            "delivery was started twice in one process; \(kept)."
        }
    }
}

