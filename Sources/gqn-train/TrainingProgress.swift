import Foundation
import GQN

#if canImport(Glibc)
import Glibc
#endif

/// Reports training progress on standard error: a redrawn status line on a terminal (like
/// scenegen's progress bar), a plain line at every logged step otherwise.
final class TrainingProgress {
    private let totalSteps: Int
    private let firstStep: Int
    private let start = Date()
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastDraw = Date.distantPast

    /// - Parameters:
    ///   - totalSteps: The step the run ends at.
    ///   - firstStep: Steps already done when this process started (resumed runs); excluded from the rate.
    init(totalSteps: Int, firstStep: Int) {
        self.totalSteps = totalSteps
        self.firstStep = firstStep
    }

    /// Steps per second done by this process.
    var stepsPerSecond: Double {
        let elapsed = Date().timeIntervalSince(start)
        return elapsed > 0 ? Double(lastStep - firstStep) / elapsed : 0
    }
    private var lastStep = 0

    /// Records a finished step; draws when it is time (every 0.2 s on a terminal, at logged steps otherwise).
    func update(step: Int, result: GQNStepResult, logged: Bool) {
        lastStep = step
        let now = Date()
        if interactive {
            guard now.timeIntervalSince(lastDraw) >= 0.2 || step == totalSteps else { return }
        } else {
            guard logged else { return }
        }
        lastDraw = now
        let rate = stepsPerSecond
        let eta = rate > 0 ? Double(totalSteps - step) / rate : 0
        let width = 20
        let filled = totalSteps > 0 ? width * step / totalSteps : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let figures = String(
            format: "step %d/%d  loss %.1f  nll %.1f (floor %.1f)  kl %.2f  sigma %.4f  lr %.3g  %.2f steps/s  ETA %@",
            step, totalSteps, result.loss, result.negativeLogLikelihood, result.negativeLogLikelihoodFloor, result.kl,
            result.pixelStandardDeviation, result.learningRate, rate, Self.clock(eta))
        let line = interactive ? "\r[\(bar)] \(figures)  " : figures + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends the status line.
    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Prints a message on its own line.
    func note(_ message: String) {
        FileHandle.standardError.write(Data(((interactive ? "\n" : "") + message + "\n").utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
