import Foundation
import ShardFormat

/// The run's `metrics.jsonl`: one JSON object per logged step, appended as training goes.
///
/// The one place a run's figures are written. Fields: `step` (steps completed), `loss`,
/// `nll`, `kl` (nats per image), `prior_nll` (only with a prior reconstruction term), `sigma`,
/// `lr`, `nll_floor`, `context` (K of the batch) and `elapsed_s`. With an event directory,
/// every line also goes to a TensorBoard event file (``TensorBoardEventWriter``) as the
/// scalars of ``tensorBoardTags``, and sample grids as images
/// (``appendImage(tag:png:width:height:step:)``).
public final class MetricsLog {
    /// The file.
    public let url: URL
    /// The TensorBoard event file beside it, if any.
    public let events: TensorBoardEventWriter?
    private let handle: FileHandle

    /// The TensorBoard scalar tag of each `metrics.jsonl` field that is logged there
    /// (`elapsed_s` is not: TensorBoard records every event's wall time itself).
    public static let tensorBoardTags: [(field: String, tag: String)] = [
        ("loss", "train/loss"), ("nll", "train/nll"), ("kl", "train/kl"), ("prior_nll", "train/prior_nll"),
        ("sigma", "train/sigma"),
        ("lr", "train/learning_rate"), ("nll_floor", "train/nll_floor"), ("context", "train/context_views"),
    ]

    /// Opens the log for appending, creating it when absent.
    /// - Parameters:
    ///   - url: The file.
    ///   - eventDirectory: Where to write a TensorBoard event file as well (nil: none).
    ///   - resumedAtStep: For a resumed run, the step of the checkpoint it resumed from.
    /// - Throws: Foundation's error when the file cannot be opened for writing;
    ///   `ShardFormatError` when the event file cannot be created.
    public init(url: URL, eventDirectory: URL? = nil, resumedAtStep: Int? = nil) throws {
        self.url = url
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        events = try eventDirectory.map { try TensorBoardEventWriter(directory: $0, resumedAtStep: resumedAtStep) }
    }

    deinit { try? handle.close() }

    /// Appends the line of one step.
    /// - Parameters:
    ///   - result: The step's figures (global means in a data-parallel run).
    ///   - context: K of the step's batch.
    ///   - elapsed: Training seconds so far, over every session of the run.
    public func append(_ result: GQNStepResult, context: Int, elapsed: Double) throws {
        try handle.write(contentsOf: Data((Self.line(result, context: context, elapsed: elapsed) + "\n").utf8))
        guard let events else { return }
        var values: [String: Float] = [
            "loss": result.loss, "nll": result.negativeLogLikelihood, "kl": result.kl,
            "sigma": result.pixelStandardDeviation, "lr": result.learningRate,
            "nll_floor": result.negativeLogLikelihoodFloor, "context": Float(context),
        ]
        values["prior_nll"] = result.priorNegativeLogLikelihood
        var scalars: [String: Double] = [:]
        for (field, tag) in Self.tensorBoardTags {
            if let value = values[field], value.isFinite { scalars[tag] = Double(value) }
        }
        try events.addScalars(scalars, step: result.step + 1)
    }

    /// Adds an image (a sample grid) to the TensorBoard event file; nothing without one.
    /// - Parameters:
    ///   - tag: The image's name.
    ///   - png: The PNG stream.
    ///   - width: Its width in pixels.
    ///   - height: Its height in pixels.
    ///   - step: Steps completed.
    /// - Throws: `ShardFormatError` when the event file cannot be written.
    public func appendImage(tag: String, png: [UInt8], width: Int, height: Int, step: Int) throws {
        try events?.addImage(tag: tag, png: png, width: width, height: height, step: step)
    }

    /// Forces the lines (and events) written so far to disk.
    public func synchronize() throws {
        try handle.synchronize()
        try events?.flush()
    }

    /// One line; `step` counts completed steps.
    public static func line(_ result: GQNStepResult, context: Int, elapsed: Double) -> String {
        "{\"step\":\(result.step + 1),\"loss\":\(number(result.loss)),\"nll\":\(number(result.negativeLogLikelihood)),"
            + "\"kl\":\(number(result.kl)),"
            + (result.priorNegativeLogLikelihood.map { "\"prior_nll\":\(number($0))," } ?? "")
            + "\"sigma\":\(number(result.pixelStandardDeviation)),"
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
