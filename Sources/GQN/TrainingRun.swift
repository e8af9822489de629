import DataLoader
import Distributed
import Foundation
import ShardFormat
import Tensors

/// One training run as a library: the run directory, resuming, the loop, metrics and
/// checkpoints; `gqn-train fit` is options and printing around it.
///
/// ```swift
/// let world = try Communicator.world()
/// let run = try TrainingRun(request, communicator: world)
/// try run.train { step in print(step.result.loss) }
/// ```
///
/// With several ranks (an MPI launcher), every rank builds the same model from the same seed
/// or checkpoint, streams its own share of each epoch (the loader's rank split) with
/// `batch / ranks` scenes per step, and averages gradients with the others every step
/// (``GQNTrainer``). Rank 0 alone touches the run directory: it checks it, writes `run.json`,
/// the metrics (``MetricsLog``) and the checkpoints; every rank reads the checkpoint to resume,
/// so the run directory and the dataset must be on a file system all ranks see. The
/// parameters' checksums are compared every ``Request/checkEvery`` steps and at the end.
public final class TrainingRun {
    /// What a run is asked to do (the `fit` command's arguments).
    public struct Request: Sendable {
        /// The dataset directory.
        public var data: URL
        /// The split to train on.
        public var split = "train"
        /// The configuration preset.
        public var config: GQNConfiguration.Preset
        /// The global batch (nil: the preset's).
        public var batch: Int?
        /// Seeds the parameters, the data order and the latent noise.
        public var seed: UInt64 = 1
        /// Compute threads per rank (recorded; the caller sets ``/Tensors/ComputeThreads``).
        public var threads = 2
        /// The named schedule.
        public var schedule: GQNTrainingSchedule.Preset = .paper
        /// The short schedule's length (nil: a resumed run's own, else ``steps``).
        public var annealSteps: Int?
        /// The pixel sigma the schedule anneals to (nil: the schedule's own, 0.7; a resumed run keeps its own).
        public var finalSigma: Double?
        /// The representation network instead of the configuration's (nil: the configuration's;
        /// a resumed run keeps its own).
        public var representation: RepresentationKind?
        /// How context representations combine instead of the configuration's sum (nil: the
        /// configuration's; a resumed run keeps its own).
        public var contextAggregation: ContextAggregation?
        /// The weight of the prior reconstruction term instead of the configuration's 0 (nil: the
        /// configuration's; a resumed run keeps its own).
        public var priorReconstructionWeight: Double?
        /// Train until this many steps are done in total.
        public var steps: Int
        /// The run directory.
        public var out: URL
        /// How `out` was written on the command line, for messages.
        public var outArgument: String
        /// Continue the run in ``out`` from its checkpoint (or start it when it has none).
        public var resume = false
        /// Write a checkpoint every this many steps (and at the end).
        public var checkpointEvery = 1000
        /// Log a metrics line every this many steps (and at the end).
        public var logEvery = 10
        /// Compare the ranks' parameter checksums every this many steps (and at the end).
        public var checkEvery = 100
        /// Also write the metrics and sample grids to a TensorBoard event file in ``out``.
        public var writesTensorBoardEvents = true

        /// Creates a request with the defaults of `gqn-train fit`.
        public init(data: URL, config: GQNConfiguration.Preset, steps: Int, out: URL, outArgument: String? = nil) {
            self.data = data
            self.config = config
            self.steps = steps
            self.out = out
            self.outArgument = outArgument ?? out.path
        }
    }

    /// One finished step, as handed to the observer of ``train(observer:)``.
    public struct Step {
        /// The step's figures (global means).
        public var result: GQNStepResult
        /// Steps completed.
        public var step: Int
        /// K of the step's batch.
        public var context: Int
        /// This rank's batch of the step.
        public var batch: GQNTensorBatch
        /// Whether a metrics line was written for it.
        public var logged: Bool
        /// Training seconds so far over every session of the run.
        public var elapsed: Double
    }

    /// The request.
    public let request: Request
    /// The settings the run was started with (resumed runs: the same as recorded).
    public let settings: RunSettings
    /// The configuration trained (the preset with the run's batch, context and schedule).
    public let configuration: GQNConfiguration
    /// The trainer; its model holds the parameters.
    public let trainer: GQNTrainer
    /// The ranks training together.
    public let communicator: Communicator
    /// Things the caller should tell the user (a changed thread count on resume).
    public let warnings: [String]
    /// Scenes in the split.
    public private(set) var sceneCount = 0
    private let loaderState: LoaderState?
    private let elapsedBefore: Double
    /// The step of the checkpoint this session resumed from (nil: a fresh run).
    private let resumedAtStep: Int?
    /// Rank 0's metrics while ``train(observer:)`` runs.
    private var metrics: MetricsLog?
    /// Rank 0's lock on the run directory, released with this value.
    private let lock: DirectoryLock?

    /// The checkpoint file.
    public var checkpointURL: URL { request.out.appendingPathComponent(RunDirectory.checkpointName) }
    /// The metrics file.
    public var metricsURL: URL { request.out.appendingPathComponent(RunDirectory.metricsName) }
    /// Whether the run already has ``Request/steps`` steps.
    public var isDone: Bool { trainer.step >= request.steps }

    /// Prepares the run: checks the directory and dataset, restores a resumed run, writes `run.json`.
    /// - Parameters:
    ///   - request: What to run.
    ///   - communicator: The ranks training together.
    /// - Throws: ``TrainingRunError`` for a used directory, settings that differ from a resumed
    ///   run's, an unusable dataset or a batch that does not split; errors from the checkpoint.
    public init(_ request: Request, communicator: Communicator = .single) throws {
        self.request = request
        self.communicator = communicator
        let preset = request.config.configuration
        let dataPath = request.data.path
        let schema = try RunDirectory.schema(of: request.data)
        try RunDirectory.checkImages(schema, preset, data: dataPath)
        let globalBatch = request.batch ?? preset.batchSize
        guard globalBatch % communicator.size == 0 else {
            throw TrainingRunError.batchDoesNotSplit(batch: globalBatch, ranks: communicator.size)
        }
        // Rank 0 holds the run directory's lock for the life of this value: a second fit into
        // the same run is refused, and a killed one's lock goes with its process.
        lock = communicator.isRoot ? try Self.prepareDirectory(request) : nil
        try communicator.barrier()

        // What a resumed run was started with.
        var saved: RunSettings?
        var metadata: [String: String] = [:]
        let checkpointPath = request.out.appendingPathComponent(RunDirectory.checkpointName).path
        if request.resume, FileManager.default.fileExists(atPath: checkpointPath) {
            metadata = try GQNTrainer.verifiedArchive(at: checkpointPath).metadata
            if metadata["format"] == GQNTrainer.weightsFormat { throw TrainingRunError.weightsOnly(path: checkpointPath) }
            saved = try RunDirectory.decodeJSON(
                RunSettings.self, metadata[RunDirectory.settingsKey], key: RunDirectory.settingsKey, path: checkpointPath)
        }
        let annealSteps = request.schedule.takesAnnealSteps ? (request.annealSteps ?? saved?.annealSteps ?? request.steps) : nil
        let settings = RunSettings(
            data: dataPath, split: request.split, config: request.config, batch: globalBatch, seed: request.seed,
            maxContext: min(preset.maxContextViews, schema.viewsPerScene - 1), threads: request.threads,
            schedule: request.schedule, annealSteps: annealSteps, finalSigma: request.finalSigma ?? saved?.finalSigma,
            representation: request.representation ?? saved?.representation,
            contextAggregation: request.contextAggregation ?? saved?.contextAggregation,
            priorReconstructionWeight: request.priorReconstructionWeight ?? saved?.priorReconstructionWeight)

        var configuration = preset
        configuration.batchSize = settings.batch
        configuration.maxContextViews = settings.maxContext
        configuration.schedule = settings.trainingSchedule
        if let representation = settings.representation { configuration.representation = representation }
        if let contextAggregation = settings.contextAggregation { configuration.contextAggregation = contextAggregation }
        if let weight = settings.priorReconstructionWeight { configuration.priorReconstructionWeight = weight }
        let model = try GQNModel(configuration: configuration, seed: request.seed)
        let trainer = GQNTrainer(model: model, seed: request.seed, communicator: communicator)
        let metricsURL = request.out.appendingPathComponent(RunDirectory.metricsName)
        var warnings: [String] = []
        if let saved {
            try Self.checkSameRun(settings, configuration.schedule, as: saved, metadata: metadata, request: request)
            if saved.threads != settings.threads {
                warnings.append(
                    "the run used --threads \(saved.threads), now \(settings.threads): losses may differ in the last digits from an uninterrupted run")
            }
            try trainer.loadCheckpoint(from: checkpointPath)
            loaderState = try RunDirectory.decodeJSON(
                LoaderState.self, metadata[RunDirectory.loaderStateKey], key: RunDirectory.loaderStateKey, path: checkpointPath)
            elapsedBefore = metadata[RunDirectory.elapsedKey].flatMap(Double.init) ?? 0
            if communicator.isRoot { try MetricsLog.truncate(at: metricsURL, after: trainer.step) }
            resumedAtStep = trainer.step
        } else {
            loaderState = nil
            elapsedBefore = 0
            resumedAtStep = nil
            if communicator.isRoot { try? FileManager.default.removeItem(at: metricsURL) }
        }
        if communicator.isRoot {
            try RunDirectory.save(
                try RunDirectory.encodeJSON(settings) + "\n", to: request.out.appendingPathComponent(RunDirectory.settingsName))
        }
        try trainer.checkReplicasAgree()
        self.settings = settings
        self.configuration = configuration
        self.trainer = trainer
        self.warnings = warnings
    }

    /// Rank 0's checks: `out` is a directory, empty unless resuming; creates it.
    /// Creates it, takes its lock and removes what a killed run left half-written.
    private static func prepareDirectory(_ request: Request) throws -> DirectoryLock {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: request.out.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw TrainingRunError.notADirectory(out: request.outArgument) }
            let contents = (try? fileManager.contentsOfDirectory(atPath: request.out.path)) ?? []
            if !request.resume, !contents.isEmpty {
                throw TrainingRunError.runDirectoryInUse(out: request.outArgument, found: contents)
            }
        }
        try fileManager.createDirectory(at: request.out, withIntermediateDirectories: true)
        let lock = try DirectoryLock(directory: request.out, name: "gqn-train-fit")
        for directory in [request.out, request.out.appendingPathComponent(RunDirectory.samplesDirectory)] {
            AtomicFile.removeAbandonedTemporaries(in: directory)
        }
        return lock
    }

    /// Refuses to resume a run with other settings than it was started with, or one whose
    /// checkpoint trained on another schedule than its settings give now (a changed preset).
    /// - Throws: ``TrainingRunError/differentSettings(out:differences:recorded:)``,
    ///   ``TrainingRunError/differentSchedule(path:trained:arguments:now:)``.
    static func checkSameRun(
        _ settings: RunSettings, _ schedule: GQNTrainingSchedule, as saved: RunSettings, metadata: [String: String],
        request: Request
    ) throws {
        let differences = settings.differences(from: saved)
        guard differences.isEmpty else {
            let recorded = (request.outArgument as NSString).appendingPathComponent(RunDirectory.settingsName)
            throw TrainingRunError.differentSettings(out: request.outArgument, differences: differences, recorded: recorded)
        }
        if let text = metadata["configuration"],
            let trained = try? JSONDecoder().decode(GQNConfiguration.self, from: Data(text.utf8)),
            trained.schedule != schedule
        {
            throw TrainingRunError.differentSchedule(
                path: request.out.appendingPathComponent(RunDirectory.checkpointName).path,
                trained: "sigma \(trained.schedule.pixelStandardDeviation), learning rate \(trained.schedule.learningRate)",
                arguments: settings.scheduleArguments, now: "\(schedule)")
        }
    }

    /// The training stream of this rank: shuffled, endless, full batches only (every rank the
    /// same count), `batch / ranks` scenes, K uniform in `1...maxContext` per global batch.
    public func loaderConfiguration() -> LoaderConfiguration {
        LoaderConfiguration(
            directory: request.data, split: settings.split, batchSize: settings.batch / communicator.size,
            context: .random(1...settings.maxContext), seed: settings.seed, shuffle: true,
            rank: communicator.rank, worldSize: communicator.size, prefetchBatches: 4, decodeThreads: 1, dropLast: true,
            epochs: nil)
    }

    /// Trains until ``Request/steps`` steps are done, logging and checkpointing on rank 0.
    /// - Parameter observer: Called on every rank after every step (progress, sample grids).
    /// - Throws: ``TrainingRunError`` for a split smaller than a batch or a loss that is no
    ///   longer finite (the last checkpoint is kept); errors of the loader, the engine, the
    ///   communicator (a rank that died, parameters that drifted apart) and the file system.
    public func train(observer: (Step) throws -> Void = { _ in }) throws {
        guard !isDone else { return }
        let loader: GQNLoader
        do {
            loader = try GQNLoader(configuration: loaderConfiguration(), resumingFrom: loaderState)
        } catch {
            throw TrainingRunError.unusableData(data: request.data.path, detail: "\(error)")
        }
        defer { loader.stop() }
        sceneCount = loader.sceneCount
        guard loader.sceneCount >= settings.batch else {
            throw TrainingRunError.unusableData(
                data: request.data.path,
                detail: "split \(settings.split) has \(loader.sceneCount) scenes, fewer than one batch (--batch \(settings.batch))")
        }
        let metrics = communicator.isRoot
            ? try MetricsLog(
                url: metricsURL, eventDirectory: request.writesTensorBoardEvents ? request.out : nil,
                resumedAtStep: resumedAtStep)
            : nil
        self.metrics = metrics
        defer { self.metrics = nil }
        let start = Date()
        while trainer.step < request.steps {
            guard let loaded = try loader.next() else {
                throw TrainingRunError.loaderEnded(data: request.data.path, step: trainer.step)
            }
            let batch = try GQNTensorBatch(loaded)
            let result = try trainer.train(on: batch)
            let step = trainer.step
            let last = step == request.steps
            let elapsed = elapsedBefore + Date().timeIntervalSince(start)
            let logged = step % request.logEvery == 0 || last
            if logged { try metrics?.append(result, context: loaded.contextCount, elapsed: elapsed) }
            try observer(Step(result: result, step: step, context: loaded.contextCount, batch: batch, logged: logged, elapsed: elapsed))
            guard result.loss.isFinite else {
                throw TrainingRunError.nonFiniteLoss(step: step, loss: result.loss, out: request.outArgument)
            }
            if step % request.checkEvery == 0 || last { try trainer.checkReplicasAgree() }
            if step % request.checkpointEvery == 0 || last {
                try saveCheckpoint(loaderState: loader.state, elapsed: elapsed)
            }
        }
        try metrics?.synchronize()
    }

    /// Adds a sample grid to the run's TensorBoard event file (rank 0, during
    /// ``train(observer:)``; elsewhere, or without event files, nothing).
    /// - Parameters:
    ///   - png: The grid as a PNG stream (the file the caller wrote in the samples directory).
    ///   - width: Its width in pixels.
    ///   - height: Its height in pixels.
    ///   - step: Steps completed.
    /// - Throws: `ShardFormatError` when the event file cannot be written.
    public func recordSampleGrid(png: [UInt8], width: Int, height: Int, step: Int) throws {
        try metrics?.appendImage(tag: "samples", png: png, width: width, height: height, step: step)
    }

    /// Rank 0 writes the checkpoint, atomically: parameters, optimizer, and in its metadata
    /// the settings, the loader's state and the elapsed time. The one place a run checkpoints.
    private func saveCheckpoint(loaderState: LoaderState, elapsed: Double) throws {
        guard communicator.isRoot else { return }
        try trainer.saveCheckpoint(to: checkpointURL.path, metadata: [
            RunDirectory.settingsKey: try RunDirectory.encodeJSON(settings),
            RunDirectory.loaderStateKey: try RunDirectory.encodeJSON(loaderState),
            RunDirectory.elapsedKey: "\(elapsed)",
            "data": settings.data,
        ])
    }
}
