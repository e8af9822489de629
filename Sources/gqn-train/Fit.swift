import ArgumentParser
import Distributed
import Foundation
import GQN
import ImageCodec
import Tensors

extension GQNTrainingSchedule.Preset: ExpressibleByArgument {}
extension RepresentationKind: ExpressibleByArgument {}
extension ContextAggregation: ExpressibleByArgument {}

/// Trains a GQN on a dataset's split, logging metrics and writing checkpoints and sample grids.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Train a GQN on a dataset; checkpoints, metrics.jsonl and sample grids go into the run directory.",
        discussion: """
            RUN/metrics.jsonl gets one JSON object per logged step: step (steps completed), loss, nll, kl \
            (nats per image), sigma, lr, nll_floor (the NLL a perfect mean still costs at this sigma: the \
            loss cannot fall below it), context (K of the batch) and elapsed_s. RUN/checkpoint.safetensors \
            holds weights, Adam state, step, loader state and run settings in one atomically replaced file; \
            --resume continues from it exactly (same losses as an uninterrupted run with the same seed and \
            --threads). RUN/samples/step-XXXXXX.png: one row per scene of the current batch: context views | \
            target | predicted mean (prior latents at their means) | two prior samples. \
            RUN/events.out.tfevents.*: the same figures (tags train/loss, train/nll, ...) and the sample grids \
            for TensorBoard (tensorboard --logdir RUN or its parent); a resumed run adds a file and TensorBoard \
            drops the points a killed run logged past its checkpoint. --schedule short \
            anneals sigma (2.0 -> 0.7) and the learning rate (5e-4 -> 5e-5) over the run's own length \
            instead of the paper's 200k and 1.6M steps: the paper's schedule compressed by one factor, so the \
            learning rate reaches 5e-5 at --anneal-steps and sigma 0.7 at an eighth of that. A run keeps the \
            schedule it started with: --resume with another one is refused. Under mpirun or srun (data-parallel): \
            --batch is the global batch, split evenly across the ranks; each rank streams its own share of every \
            epoch, gradients are averaged every step, rank 0 alone writes the run directory, and the losses equal \
            a single process's with the same --batch and --seed (to float rounding). --threads is per rank.
            """
    )

    @Option(help: "The dataset directory (holds manifest.json).")
    var data: String

    @Option(help: "The configuration.")
    var config: GQNConfiguration.Preset

    @Option(help: "Train until this many steps are done in total (a resumed run continues to it).")
    var steps: Int

    @Option(help: "The run directory for checkpoints, metrics and samples.")
    var out: String

    @Option(help: "Scenes per step over all ranks (default: the configuration's); a multiple of the rank count.")
    var batch: Int?

    @Option(help: "Seeds the parameters, the data order and the latent noise.")
    var seed: UInt64 = 1

    @OptionGroup var compute: ComputeOptions

    @Flag(help: "Do not write TensorBoard event files (metrics.jsonl and sample grids are written regardless).")
    var noTensorboard = false

    @Flag(help: "Continue the run in --out from its checkpoint (or start it when it has none).")
    var resume = false

    @Option(help: "Write a checkpoint every N steps (and always at the end).")
    var checkpointEvery: Int = 1000

    @Option(help: "Write a sample grid every N steps (0: never).")
    var sampleEvery: Int = 1000

    @Option(help: "Log a metrics line every N steps.")
    var logEvery: Int = 10

    @Option(help: "Under mpirun: compare the ranks' parameter checksums every N steps (and at the end).")
    var checkEvery: Int = 100

    @Option(help: "The split to train on.")
    var split: String = "train"

    @Option(help: """
        The training schedule: paper (sigma 2.0 -> 0.7 over 200,000 steps, learning rate 5e-4 -> 5e-5 over \
        1,600,000, whatever the run's length) or short (the same, compressed so the learning rate reaches 5e-5 at \
        --anneal-steps and sigma 0.7 at an eighth of that).
        """)
    var schedule: GQNTrainingSchedule.Preset = .paper

    @Option(help: """
        With --schedule short: the step that first trains at the final learning rate (default: --steps when the \
        run starts; a resumed run keeps its own, so a larger --steps extends it at the final values).
        """)
    var annealSteps: Int?

    @Option(help: """
        The pixel sigma the schedule anneals to, instead of the paper's 0.7 (a lower one weighs pixel errors, \
        objects' included, more heavily against the KL; a resumed run keeps its own).
        """)
    var finalSigma: Double?

    @Option(help: """
        The representation network instead of the configuration's (tiny: pool; small, paper: tower): tower (an \
        r-channel grid at a quarter of the image size), pool (the tower averaged to 1 x 1) or pyramid. The run \
        records it; eval, sample and probe read it from the checkpoint.
        """)
    var representation: RepresentationKind?

    @Option(help: """
        How the context views' representations combine: sum (the paper's, every configuration's default) or mean \
        (r on one scale whatever the number of views). The run records it; eval, sample and probe read it from \
        the checkpoint.
        """)
    var contextAggregation: ContextAggregation?

    @Option(help: """
        Adds W times a prior reconstruction term to the objective: the NLL of the query rendered from the \
        prior-mean latents, so the representation and prior learn to predict the query from the context directly, \
        not only through the KL (default 0, the paper's ELBO; each step then runs the generator twice). The run \
        records it; a resumed run keeps its own.
        """)
    var priorReconstructionWeight: Double?

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, found \(steps)") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, found \(batch)") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, found \(checkpointEvery)") }
        guard sampleEvery >= 0 else { throw ValidationError("--sample-every must be at least 0, found \(sampleEvery)") }
        guard logEvery >= 1 else { throw ValidationError("--log-every must be at least 1, found \(logEvery)") }
        guard checkEvery >= 1 else { throw ValidationError("--check-every must be at least 1, found \(checkEvery)") }
        if let annealSteps {
            guard schedule.takesAnnealSteps else {
                throw ValidationError(
                    "--anneal-steps applies to --schedule short, found --schedule \(schedule.rawValue) "
                        + "(its lengths are fixed: sigma over 200,000 steps, the learning rate over 1,600,000)")
            }
            guard annealSteps >= 1 else { throw ValidationError("--anneal-steps must be at least 1, found \(annealSteps)") }
        }
        if let finalSigma, !(finalSigma > 0 && finalSigma <= 2) {
            throw ValidationError("--final-sigma must be in (0, 2], found \(finalSigma)")
        }
        if let priorReconstructionWeight, !(priorReconstructionWeight >= 0 && priorReconstructionWeight.isFinite) {
            throw ValidationError("--prior-reconstruction-weight must be a finite number >= 0, found \(priorReconstructionWeight)")
        }
    }

    /// The run these options ask for.
    var request: TrainingRun.Request {
        let outURL = URL(fileURLWithPath: out).standardizedFileURL
        var request = TrainingRun.Request(
            data: URL(fileURLWithPath: data).standardizedFileURL, config: config, steps: steps, out: outURL, outArgument: out)
        request.split = split
        request.batch = batch
        request.seed = seed
        request.threads = compute.threads
        request.schedule = schedule
        request.annealSteps = annealSteps
        request.finalSigma = finalSigma
        request.representation = representation
        request.contextAggregation = contextAggregation
        request.priorReconstructionWeight = priorReconstructionWeight
        request.resume = resume
        request.checkpointEvery = checkpointEvery
        request.logEvery = logEvery
        request.checkEvery = checkEvery
        request.writesTensorBoardEvents = !noTensorboard
        return request
    }

    func run() throws {
        compute.apply()
        try LaunchedJob.run { world in try train(world) }
    }

    private func train(_ world: Communicator) throws {
        let run = try TrainingRun(request, communicator: world)
        let say = { (text: String) in if world.isRoot { FileHandle.standardError.write(Data((text + "\n").utf8)) } }
        for warning in run.warnings { say("warning: \(warning)") }
        guard !run.isDone else {
            say("the run in \(out) has already done \(run.trainer.step) steps (--steps \(steps)); nothing to do")
            return
        }
        let settings = run.settings
        let progress = world.isRoot ? TrainingProgress(totalSteps: steps, firstStep: run.trainer.step) : nil
        let ranks = world.size > 1 ? ", \(world.size) ranks x \(settings.batch / world.size) scenes" : ""
        progress?.note(
            "fit: \(config.rawValue) (\(run.trainer.model.parameterCount) parameters), split \(split), batch \(settings.batch)\(ranks), "
                + "K in 1...\(settings.maxContext), step \(run.trainer.step) -> \(steps), run \(run.request.out.path); "
                + "\(settings.scheduleArguments): \(run.configuration.schedule)")
        do {
            try run.train { step in
                progress?.update(step: step.step, result: step.result, logged: step.logged)
                guard world.isRoot, step.result.loss.isFinite, sampleEvery > 0,
                    step.step % sampleEvery == 0 || step.step == steps
                else { return }
                let path = run.request.out.appendingPathComponent(RunDirectory.samplesDirectory)
                    .appendingPathComponent(String(format: "step-%06d.png", step.step)).path
                let grid = try Self.writeSampleGrid(
                    model: run.trainer.model, batch: step.batch, seed: SeedMixer.mix(seed ^ 0x5A4D_504C, UInt64(step.step)),
                    to: path)
                try run.recordSampleGrid(png: grid.png, width: grid.width, height: grid.height, step: step.step)
            }
        } catch {
            progress?.finish()
            throw error
        }
        progress?.finish()
        say("fit: done, \(steps) steps; checkpoint \(run.checkpointURL.path), metrics \(run.metricsURL.path)")
    }

    /// A grid: one row per scene (up to 4): context views | target | prior-mean prediction | two prior samples.
    static func writeSampleGrid(
        model: GQNModel, batch: GQNTensorBatch, seed: UInt64, to path: String
    ) throws -> (png: [UInt8], width: Int, height: Int) {
        let rows = min(4, batch.batchSize)
        let k = batch.contextViews
        let size = model.configuration.imageSize
        func firstRows(_ tensor: Tensor, _ shape: [Int]) throws -> Tensor {
            let per = shape.reduce(1, *)
            let values = tensor.withUnsafeBufferPointer { Array($0.prefix(rows * per)) }
            return try Tensor(shape: [rows] + shape, scalars: values)
        }
        let contextImages = try firstRows(batch.contextImages, [k, 3, size, size])
        let contextViewpoints = try firstRows(batch.contextViewpoints, [k, GQNConfiguration.viewpointSize])
        let queryViewpoints = try firstRows(batch.queryViewpoints, [GQNConfiguration.viewpointSize])
        let targets = ImageTiles.tiles(try firstRows(batch.queryImages, [3, size, size]))
        let contexts = ImageTiles.tiles(contextImages)
        let mean = ImageTiles.tiles(try model.generate(
            contextImages: contextImages, contextViewpoints: contextViewpoints, queryViewpoints: queryViewpoints,
            usePriorMean: true))
        let samples = try (0..<2).map { index in
            ImageTiles.tiles(try model.generate(
                contextImages: contextImages, contextViewpoints: contextViewpoints, queryViewpoints: queryViewpoints,
                noiseSeed: SeedMixer.mix(seed, UInt64(index))))
        }
        let grid = (0..<rows).map { row in
            Array(contexts[(row * k)..<(row * k + k)]) + [targets[row], mean[row], samples[0][row], samples[1][row]]
        }
        return try ImageTiles.writeSheet(grid, to: path)
    }
}
