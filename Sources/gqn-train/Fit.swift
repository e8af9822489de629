import ArgumentParser
import DataLoader
import Foundation
import GQN
import ImageCodec
import ShardFormat
import Tensors

extension GQNTrainingSchedule.Preset: ExpressibleByArgument {}

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
            target | predicted mean (prior latents at their means) | two prior samples. --schedule short \
            anneals sigma (2.0 -> 0.7) and the learning rate (5e-4 -> 5e-5) over the run's own length \
            instead of the paper's 200k and 1.6M steps: the paper's schedule compressed by one factor, so the \
            learning rate reaches 5e-5 at --anneal-steps and sigma 0.7 at an eighth of that. A run keeps the \
            schedule it started with: --resume with another one is refused.
            """
    )

    @Option(help: "The dataset directory (holds manifest.json).")
    var data: String

    @Option(help: "The configuration: tiny, small or paper.")
    var config: String

    @Option(help: "Train until this many steps are done in total (a resumed run continues to it).")
    var steps: Int

    @Option(help: "The run directory for checkpoints, metrics and samples.")
    var out: String

    @Option(help: "Scenes per batch (default: the configuration's).")
    var batch: Int?

    @Option(help: "Seeds the parameters, the data order and the latent noise.")
    var seed: UInt64 = 1

    @Option(help: "Threads for OpenBLAS and the engine's loops (keep it equal when resuming for bit-exact results).")
    var threads: Int = 2

    @Flag(help: "Continue the run in --out from its checkpoint (or start it when it has none).")
    var resume = false

    @Option(help: "Write a checkpoint every N steps (and always at the end).")
    var checkpointEvery: Int = 1000

    @Option(help: "Write a sample grid every N steps (0: never).")
    var sampleEvery: Int = 1000

    @Option(help: "Log a metrics line every N steps.")
    var logEvery: Int = 10

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

    func validate() throws {
        guard GQNConfiguration.presets[config] != nil else {
            throw ValidationError("--config must be tiny, small or paper, found \(config)")
        }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1, found \(steps)") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, found \(batch)") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1, found \(threads)") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, found \(checkpointEvery)") }
        guard sampleEvery >= 0 else { throw ValidationError("--sample-every must be at least 0, found \(sampleEvery)") }
        guard logEvery >= 1 else { throw ValidationError("--log-every must be at least 1, found \(logEvery)") }
        if let annealSteps {
            guard schedule.takesAnnealSteps else {
                throw ValidationError(
                    "--anneal-steps applies to --schedule short, found --schedule \(schedule.rawValue) "
                        + "(its lengths are fixed: sigma over 200,000 steps, the learning rate over 1,600,000)")
            }
            guard annealSteps >= 1 else { throw ValidationError("--anneal-steps must be at least 1, found \(annealSteps)") }
        }
    }

    /// `--anneal-steps` as the run records it: nil for a schedule of fixed length; for `short` the
    /// option, else a resumed run's own (a larger `--steps` extends a run, it does not re-plan
    /// the steps already taken), else `--steps`.
    func annealLength(resuming saved: RunSettings?) -> Int? {
        guard schedule.takesAnnealSteps else { return nil }
        return annealSteps ?? saved?.annealSteps ?? steps
    }

    func run() throws {
        guard let preset = GQNConfiguration.presets[config] else { return }
        ComputeThreads.set(threads)
        let dataURL = URL(fileURLWithPath: data).standardizedFileURL
        let runURL = URL(fileURLWithPath: out).standardizedFileURL
        let schema = try RunFiles.schema(of: dataURL)
        try RunFiles.checkImages(schema, preset, data: data)

        let checkpointURL = runURL.appendingPathComponent(RunFiles.checkpointName)
        let metricsURL = runURL.appendingPathComponent(RunFiles.metricsName)
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: runURL.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw TrainCommandError("--out \(out): expected a directory, found a file") }
            let contents = (try? fileManager.contentsOfDirectory(atPath: runURL.path)) ?? []
            if !resume, !contents.isEmpty {
                throw TrainCommandError(
                    "--out \(out): expected a new or empty run directory, found one holding \(contents.sorted().prefix(4).joined(separator: ", ")); "
                        + "pass --resume to continue it, or choose another --out")
            }
        }
        try fileManager.createDirectory(at: runURL, withIntermediateDirectories: true)
        let lock = try DirectoryLock(directory: runURL, name: "gqn-train-fit")  // a second fit into this run is refused
        defer { lock.release() }
        for directory in [runURL, runURL.appendingPathComponent(RunFiles.samplesDirectory)] {
            AtomicFile.removeAbandonedTemporaries(in: directory)  // what a killed fit left half-written
        }

        // What a resumed run was started with.
        var saved: RunSettings?
        var metadata: [String: String] = [:]
        if resume, fileManager.fileExists(atPath: checkpointURL.path) {
            metadata = try GQNTrainer.verifiedArchive(at: checkpointURL.path).metadata
            if metadata["format"] == GQNTrainer.weightsFormat {
                throw TrainCommandError(
                    "--resume: \(checkpointURL.path) holds weights only (written by export-weights), with no optimizer "
                        + "state to continue from; resume from the run's own checkpoint or start a new run")
            }
            saved = try RunFiles.decodeJSON(
                RunSettings.self, metadata[RunFiles.settingsKey], key: RunFiles.settingsKey, path: checkpointURL.path)
        }
        let settings = RunSettings(
            data: dataURL.path, split: split, config: config, batch: batch ?? preset.batchSize, seed: seed,
            maxContext: min(preset.maxContextViews, schema.viewsPerScene - 1), threads: threads, schedule: schedule,
            annealSteps: annealLength(resuming: saved))

        // The model, trainer and loader, fresh or restored.
        var configuration = preset
        configuration.batchSize = settings.batch
        configuration.maxContextViews = settings.maxContext
        configuration.schedule = settings.trainingSchedule
        let model = try GQNModel(configuration: configuration, seed: seed)
        let trainer = GQNTrainer(model: model, seed: seed)
        var loaderState: LoaderState?
        var elapsedBefore = 0.0
        if let saved {
            let path = checkpointURL.path
            try Self.checkSameRun(settings, configuration.schedule, as: saved, metadata: metadata, out: out, path: path)
            if saved.threads != settings.threads {
                FileHandle.standardError.write(Data(
                    "warning: the run used --threads \(saved.threads), now \(settings.threads): losses may differ in the last digits from an uninterrupted run\n".utf8))
            }
            try trainer.loadCheckpoint(from: path)
            loaderState = try RunFiles.decodeJSON(LoaderState.self, metadata[RunFiles.loaderStateKey], key: RunFiles.loaderStateKey, path: path)
            elapsedBefore = metadata[RunFiles.elapsedKey].flatMap(Double.init) ?? 0
            try Self.truncateMetrics(at: metricsURL, after: trainer.step)
        } else {
            try? fileManager.removeItem(at: metricsURL)
        }
        try RunFiles.save(try RunFiles.encodeJSON(settings) + "\n", to: runURL.appendingPathComponent(RunFiles.settingsName))
        guard trainer.step < steps else {
            FileHandle.standardError.write(Data("the run in \(out) has already done \(trainer.step) steps (--steps \(steps)); nothing to do\n".utf8))
            return
        }

        let loaderConfiguration = Self.loaderConfiguration(settings, directory: dataURL)
        let loader: GQNLoader
        do {
            loader = try GQNLoader(configuration: loaderConfiguration, resumingFrom: loaderState)
        } catch {
            throw TrainCommandError("--data \(data): \(error)")
        }
        defer { loader.stop() }
        guard loader.sceneCount >= settings.batch else {
            throw TrainCommandError(
                "--data \(data): split \(split) has \(loader.sceneCount) scenes, fewer than one batch (--batch \(settings.batch))")
        }

        if !fileManager.fileExists(atPath: metricsURL.path) { _ = fileManager.createFile(atPath: metricsURL.path, contents: nil) }
        guard let metrics = FileHandle(forWritingAtPath: metricsURL.path) else {
            throw TrainCommandError("--out \(out): cannot open \(metricsURL.path) for writing")
        }
        defer { try? metrics.close() }
        try metrics.seekToEnd()

        let progress = TrainingProgress(totalSteps: steps, firstStep: trainer.step)
        progress.note(
            "fit: \(config) (\(model.parameterCount) parameters), \(loader.sceneCount) scenes in \(split), batch \(settings.batch), "
                + "K in 1...\(settings.maxContext), step \(trainer.step) -> \(steps), run \(runURL.path); "
                + "\(settings.scheduleArguments): \(configuration.schedule)")
        let start = Date()
        while trainer.step < steps {
            guard let loaded = try loader.next() else {
                throw TrainCommandError("--data \(data): the loader ended unexpectedly at step \(trainer.step)")
            }
            let batch = try GQNTensorBatch(loaded)
            let result = try trainer.train(on: batch)
            let step = trainer.step
            let elapsed = elapsedBefore + Date().timeIntervalSince(start)
            let logged = step % logEvery == 0 || step == steps
            if logged {
                let line = Self.metricsLine(result, context: loaded.contextCount, elapsed: elapsed)
                try metrics.write(contentsOf: Data((line + "\n").utf8))  // throws on a full disk, where write(_:) traps
            }
            progress.update(step: step, result: result, logged: logged)
            if !result.loss.isFinite {
                progress.finish()
                throw TrainCommandError("step \(step): the loss is \(result.loss); stopping (last checkpoint kept in \(out))")
            }
            if sampleEvery > 0, step % sampleEvery == 0 || step == steps {
                let path = runURL.appendingPathComponent(RunFiles.samplesDirectory)
                    .appendingPathComponent(String(format: "step-%06d.png", step)).path
                try Self.writeSampleGrid(model: model, batch: batch, seed: mixSeed(seed ^ 0x5A4D_504C, UInt64(step)), to: path)
            }
            if step % checkpointEvery == 0 || step == steps {
                try trainer.saveCheckpoint(to: checkpointURL.path, metadata: [
                    RunFiles.settingsKey: try RunFiles.encodeJSON(settings),
                    RunFiles.loaderStateKey: try RunFiles.encodeJSON(loader.state),
                    RunFiles.elapsedKey: "\(elapsed)",
                    "data": settings.data,
                ])
            }
        }
        progress.finish()
        try metrics.synchronize()
        FileHandle.standardError.write(Data(
            "fit: done, \(steps) steps; checkpoint \(checkpointURL.path), metrics \(metricsURL.path)\n".utf8))
    }

    /// Refuses to resume a run with other settings than it was started with, or one whose
    /// checkpoint trained on another schedule than its settings give now (a changed preset).
    /// - Parameters:
    ///   - settings: This invocation's settings.
    ///   - schedule: The schedule they give.
    ///   - saved: The run's settings, from its checkpoint.
    ///   - metadata: The checkpoint's metadata.
    /// - Throws: ``TrainCommandError`` naming each argument that differs, with the run's value.
    static func checkSameRun(
        _ settings: RunSettings, _ schedule: GQNTrainingSchedule, as saved: RunSettings, metadata: [String: String],
        out: String, path: String
    ) throws {
        let differences = settings.differences(from: saved)
        guard differences.isEmpty else {
            let recorded = (out as NSString).appendingPathComponent(RunFiles.settingsName)
            throw TrainCommandError(
                "--resume: the run in \(out) was started with \(differences.joined(separator: "; ")); a run keeps the "
                    + "settings it started with: pass its own (recorded in \(recorded)) or choose another --out")
        }
        if let text = metadata["configuration"],
            let trained = try? JSONDecoder().decode(GQNConfiguration.self, from: Data(text.utf8)),
            trained.schedule != schedule
        {
            throw TrainCommandError(
                "--resume: \(path) was trained with sigma \(trained.schedule.pixelStandardDeviation), learning rate "
                    + "\(trained.schedule.learningRate), but \(settings.scheduleArguments) now gives \(schedule); "
                    + "this gqn-train cannot continue that run's schedule exactly")
        }
    }

    /// The training stream: shuffled, endless, full batches only, K uniform in `1...maxContext` per batch.
    static func loaderConfiguration(_ settings: RunSettings, directory: URL) -> LoaderConfiguration {
        LoaderConfiguration(
            directory: directory, split: settings.split, batchSize: settings.batch,
            context: .random(1...settings.maxContext), seed: settings.seed, shuffle: true, prefetchBatches: 4,
            decodeThreads: 1, dropLast: true, epochs: nil)
    }

    /// One metrics.jsonl line; `step` counts completed steps.
    static func metricsLine(_ result: GQNStepResult, context: Int, elapsed: Double) -> String {
        "{\"step\":\(result.step + 1),\"loss\":\(jsonNumber(result.loss)),\"nll\":\(jsonNumber(result.negativeLogLikelihood)),"
            + "\"kl\":\(jsonNumber(result.kl)),\"sigma\":\(jsonNumber(result.pixelStandardDeviation)),"
            + "\"lr\":\(jsonNumber(result.learningRate)),\"nll_floor\":\(jsonNumber(result.negativeLogLikelihoodFloor)),"
            + "\"context\":\(context),\"elapsed_s\":\(String(format: "%.3f", elapsed))}"
    }

    /// Drops the lines logged after the checkpoint's step (a run that died after its last checkpoint).
    static func truncateMetrics(at url: URL, after step: Int) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let lineStep = object["step"] as? Int
            else { return false }
            return lineStep <= step
        }
        try RunFiles.save(kept.map { $0 + "\n" }.joined(), to: url)
    }

    /// A grid: one row per scene (up to 4): context views | target | prior-mean prediction | two prior samples.
    static func writeSampleGrid(model: GQNModel, batch: GQNTensorBatch, seed: UInt64, to path: String) throws {
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
                noiseSeed: mixSeed(seed, UInt64(index))))
        }
        let grid = (0..<rows).map { row in
            Array(contexts[(row * k)..<(row * k + k)]) + [targets[row], mean[row], samples[0][row], samples[1][row]]
        }
        try ImageTiles.writeSheet(grid, to: path)
    }
}
