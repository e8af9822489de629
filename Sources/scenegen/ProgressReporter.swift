import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reports progress of long work on standard error: a redrawn bar with rate and ETA on a
/// terminal, a plain line every few seconds otherwise (logs, batch jobs).
final class ProgressReporter {
    private let total: Int
    private let unit: String
    private let start = Date()
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastReport = Date.distantPast
    private var completed = 0
    /// Work already done when this run started (resumed datasets): excluded from the rate.
    private let alreadyDone: Int

    init(total: Int, alreadyDone: Int = 0, unit: String) {
        self.total = total
        self.alreadyDone = alreadyDone
        self.completed = alreadyDone
        self.unit = unit
    }

    /// Adds `count` finished items and redraws when it is time.
    func advance(by count: Int) {
        completed += count
        let now = Date()
        let interval: TimeInterval = interactive ? 0.2 : 5
        if now.timeIntervalSince(lastReport) >= interval || completed == total {
            lastReport = now
            report(now: now)
        }
    }

    /// Finishes the bar's line.
    func finish() {
        report(now: Date())
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Items per second done by this run so far.
    var rate: Double {
        let elapsed = Date().timeIntervalSince(start)
        return elapsed > 0 ? Double(completed - alreadyDone) / elapsed : 0
    }

    private func report(now: Date) {
        let rate = self.rate
        let remaining = rate > 0 ? Double(total - completed) / rate : 0
        let eta = Self.clock(remaining)
        let line: String
        if interactive {
            let width = 30
            let filled = total > 0 ? width * completed / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            line = "\r[\(bar)] \(completed)/\(total) \(unit)  \(String(format: "%.1f", rate)) \(unit)/s  ETA \(eta)  "
        } else {
            line = "\(completed)/\(total) \(unit), \(String(format: "%.1f", rate)) \(unit)/s, ETA \(eta)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
