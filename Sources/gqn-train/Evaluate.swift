import ArgumentParser
import Distributed
import Foundation
import GQN
import Tensors

/// Evaluates a checkpoint on held-out scenes.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint on a split: ELBO, bits/dim, NLL floor, MSE of imagined views and baselines over the whole image, object and room pixels, and the prior samples' variance (JSON).",
        discussion: """
            Reads the split in scene order with a fixed seed (the same query and context views every time). \
            For each scene, one view is the query and K others the context. MSEs are per pixel value in [0, 1], \
            pooled over the same queries: the prior rollout with latents at their prior means, S prior samples \
            (averaged), the posterior reconstruction (sees the query; reference only), the mean of the context \
            images, and the context view nearest the query in pose, distance = |position difference| (scene \
            units) + |yaw difference wrapped to [-pi, pi]| + |pitch difference| (radians), ties to the first view. \
            Each figure is given for the whole image ("image") and, when the dataset has instance masks, for the \
            query's object pixels (mask > 0, "objects") and room pixels ("room"). sample_variance: the mean per \
            pixel value of the unbiased variance across the S prior samples (--samples 2 or more). "notes" says \
            what was not measured and why. Under mpirun or srun, the batches are spread over the ranks \
            (batch b on rank b % ranks, with its own noise) and the sums added at the end: the figures of one \
            process, and rank 0 prints them.
            """
    )

    @Option(help: "The run directory (or its checkpoint.safetensors).")
    var checkpoint: String

    @Option(help: "The dataset directory.")
    var data: String

    @Option(help: "The split to evaluate.")
    var split: String = "test"

    @Option(help: "Evaluate only the first N scenes of the split (default: all).")
    var scenes: Int?

    @Option(help: "Context views per scene: a number, or all (every K from 1 to the maximum). Default: the maximum.")
    var context: String?

    @Option(help: "Prior samples per query: their MSEs are averaged; 2 or more also give the per-pixel variance.")
    var samples: Int = 1

    @Option(help: "Scenes per forward pass.")
    var batch: Int = 8

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let scenes, scenes < 1 { throw ValidationError("--scenes must be at least 1, found \(scenes)") }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, found \(samples)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, found \(batch)") }
        if let context, context != "all", (Int(context) ?? 0) < 1 {
            throw ValidationError("--context must be a positive number or all, found \(context)")
        }
    }

    func run() throws {
        compute.apply()
        try LaunchedJob.run { world in
            let report = try makeReport(communicator: world)
            guard world.isRoot else { return }
            for note in report.notes { FileHandle.standardError.write(Data("eval: \(note)\n".utf8)) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }

    /// Runs the evaluation (this process's share of it, under a launcher) and returns the report.
    func makeReport(communicator: Communicator = .single) throws -> EvaluationReport {
        let path = try RunFiles.checkpointPath(checkpoint)
        let (trainer, _) = try RunFiles.loadTrainer(from: path)
        let model = trainer.model
        let dataURL = URL(fileURLWithPath: data).standardizedFileURL
        let schema = try RunDirectory.schema(of: dataURL)
        try RunDirectory.checkImages(schema, model.configuration, data: data)
        var evaluation = Evaluation(contextCounts: try RunFiles.contextCounts(
            context, maximum: model.configuration.maxContextViews, viewsPerScene: schema.viewsPerScene))
        evaluation.sceneLimit = scenes
        evaluation.batchSize = batch
        evaluation.samples = samples
        do {
            return try evaluation.run(
                model: model, step: trainer.step, sigma: trainer.schedule.pixelStandardDeviation(at: trainer.step),
                checkpoint: path, directory: dataURL, split: split, communicator: communicator)
        } catch let error as MeasurementError {
            throw TrainCommandError("--data \(data): \(error)")
        }
    }
}
