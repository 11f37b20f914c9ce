import Delivery
import ConversionEngine
import Foundation

/// A progress bar on a terminal; a summary line every few seconds otherwise. Writes to stderr.
actor ProgressDisplay {
    private let start: ContinuousClock.Instant
    private let read: @Sendable () -> (Ingest.Totals, DeliveryReport)
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var drewBar = false

    init(start: ContinuousClock.Instant, read: @escaping @Sendable () -> (Ingest.Totals, DeliveryReport)) {
        self.start = start
        self.read = read
    }

    func run() async {
        let interval: Duration = isTerminal ? .milliseconds(200) : .seconds(5)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            draw()
        }
    }

    func finish() {
        if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw() {
        let (totals, report) = read()
        let seconds = (ContinuousClock.now - start).inSeconds
        let rate = seconds > 0 ? Int(Double(report.sent) / seconds) : 0
        let figures = "received \(totals.received) · accepted \(totals.accepted) · sent \(report.sent) · retried \(report.retried) · dead-lettered \(report.deadLettered) · \(rate) ev/s"
        if isTerminal {
            let done = totals.accepted == 0 ? 0 : min(1, Double(report.sent + report.deadLettered) / Double(totals.accepted))
            let width = 24
            let filled = Int(done * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(bar) \(figures)".utf8))
            drewBar = true
        } else {
            FileHandle.standardError.write(Data("progress: \(figures)\n".utf8))
        }
    }
}


