import Foundation

/// The run's `metrics.jsonl`: one JSON object per logged step, appended as training goes.
///
/// The one place a run's figures are written: another sink (an event file for TensorBoard,
/// say) belongs beside ``append(_:context:elapsed:)``. Fields: `step` (steps completed),
/// `loss`, `nll`, `kl` (nats per image), `sigma`, `lr`, `nll_floor`, `context` (K of the
/// batch) and `elapsed_s`.
public final class MetricsLog {
    /// The file.
    public let url: URL
    private let handle: FileHandle

    /// Opens the log for appending, creating it when absent.
    /// - Parameter url: The file.
    /// - Throws: Foundation's error when the file cannot be opened for writing.
    public init(url: URL) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    /// Appends the line of one step.
    /// - Parameters:
    ///   - result: The step's figures (global means in a data-parallel run).
    ///   - context: K of the step's batch.
    ///   - elapsed: Training seconds so far, over every session of the run.
    public func append(_ result: GQNStepResult, context: Int, elapsed: Double) throws {
        try handle.write(contentsOf: Data((Self.line(result, context: context, elapsed: elapsed) + "\n").utf8))
    }

    /// Forces the lines written so far to disk.
    public func synchronize() throws { try handle.synchronize() }

    /// One line; `step` counts completed steps.
    public static func line(_ result: GQNStepResult, context: Int, elapsed: Double) -> String {
        "{\"step\":\(result.step + 1),\"loss\":\(number(result.loss)),\"nll\":\(number(result.negativeLogLikelihood)),"
            + "\"kl\":\(number(result.kl)),\"sigma\":\(number(result.pixelStandardDeviation)),"
            + "\"lr\":\(number(result.learningRate)),\"nll_floor\":\(number(result.negativeLogLikelihoodFloor)),"
            + "\"context\":\(context),\"elapsed_s\":\(String(format: "%.3f", elapsed))}"
    }

    /// Drops the lines logged after `step` (a run that died after its last checkpoint), atomically.
    /// - Parameters:
    ///   - url: The log.
    ///   - step: The checkpoint's step.
    public static func truncate(at url: URL, after step: Int) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let lineStep = object["step"] as? Int
            else { return false }
            return lineStep <= step
        }
        try RunDirectory.save(kept.map { $0 + "\n" }.joined(), to: url)
    }

    private static func number(_ value: Float) -> String { value.isFinite ? "\(value)" : "null" }
}
