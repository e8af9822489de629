import ArgumentParser
import Foundation
import GQN
import Tensors

/// Fits linear probes on a checkpoint's frozen scene representation.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Linear probes of the frozen representation: object count, shapes, colours, floor cells and position, against an untrained network and raw pixels (table; JSON with --out or --json).",
        discussion: """
            For every scene of --train-split and --test-split (scene order, the eval seed's view choice, K \
            context views), the features are the checkpoint's representation r (pooled over its grid), the \
            same network freshly initialised with the checkpoint's seed, and the context images averaged over \
            --pixel-grid x --pixel-grid cells and the views. Probes (standardised features, regulariser chosen \
            on the last 20 % of the training scenes, then refitted): object count (softmax logistic, accuracy \
            beside the majority count), shapes present and colours present (a sigmoid per name), occupied cells \
            of a --cells x --cells grid over the 7x7 floor (an object occupies the cell holding its centre) - \
            each scored by micro-F1 at a decision threshold chosen with the regulariser on the held-out scenes, \
            and by mean average precision (threshold-free) -, and for one-object scenes the position (ridge, mean distance in scene units beside the \
            training mean). Fitted on the first 100, 1,000 and all training scenes (at most --train-scenes): a \
            label-efficiency curve. Needs a dataset whose scenes list their objects (scenegen generate).
            """
    )

    @Option(help: "The run directory (or its checkpoint.safetensors).")
    var checkpoint: String

    @Option(help: "The dataset directory.")
    var data: String

    @Option(help: "Context views per scene (default: the model's maximum).")
    var context: Int?

    @Option(help: "Use at most this many training scenes (default: all).")
    var trainScenes: Int?

    @Option(help: "The split the probes are fitted on.")
    var trainSplit: String = "train"

    @Option(help: "The split they are scored on.")
    var testSplit: String = "test"

    @Option(help: "The side of the pixel features' grid.")
    var pixelGrid: Int = 8

    @Option(help: "Cells per side of the occupancy grid over the 7x7 floor.")
    var cells: Int = 3

    @Option(help: "Write the JSON report to this file.")
    var out: String?

    @Flag(help: "Print the JSON report instead of the table.")
    var json = false

    @Option(help: "Scenes per forward pass.")
    var batch: Int = 16

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if let context, context < 1 { throw ValidationError("--context must be at least 1, found \(context)") }
        if let trainScenes, trainScenes < 2 { throw ValidationError("--train-scenes must be at least 2, found \(trainScenes)") }
        guard pixelGrid >= 1 else { throw ValidationError("--pixel-grid must be at least 1, found \(pixelGrid)") }
        guard cells >= 1 else { throw ValidationError("--cells must be at least 1, found \(cells)") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, found \(batch)") }
    }

    func run() throws {
        compute.apply()
        let report = try makeReport()
        let text = try RunDirectory.encodeJSON(report)
        if let out { try RunDirectory.save(text + "\n", to: URL(fileURLWithPath: out)) }
        print(json ? text : report.table())
    }

    /// Runs the probes and returns the report.
    func makeReport() throws -> ProbeReport {
        let path = try RunFiles.checkpointPath(checkpoint)
        let (trainer, metadata) = try RunFiles.loadTrainer(from: path)
        let model = trainer.model
        let dataURL = URL(fileURLWithPath: data).standardizedFileURL
        let schema = try RunDirectory.schema(of: dataURL)
        try RunDirectory.checkImages(schema, model.configuration, data: data)
        let k = try RunFiles.contextCounts(
            context.map(String.init), maximum: model.configuration.maxContextViews, viewsPerScene: schema.viewsPerScene)[0]
        let untrained = try GQNModel(configuration: model.configuration, seed: metadata["seed"].flatMap(UInt64.init) ?? 0)
        var probe = Probe(context: k)
        probe.trainScenes = trainScenes
        probe.trainSplit = trainSplit
        probe.testSplit = testSplit
        probe.pixelGrid = pixelGrid
        probe.occupancy = OccupancyGrid(cells: cells)
        probe.batchSize = batch
        do {
            return try probe.run(trained: model, untrained: untrained, directory: dataURL, checkpoint: path, step: trainer.step)
        } catch let error as MeasurementError {
            throw TrainCommandError("--data \(data): \(error)")
        }
    }
}
