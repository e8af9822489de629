import Foundation

/// What a run was started with; a resumed run must match it.
public struct RunSettings: Codable, Equatable, Sendable {
    /// The dataset directory, as an absolute path.
    public var data: String
    /// The split trained on.
    public var split: String
    /// The configuration preset.
    public var config: GQNConfiguration.Preset
    /// The global batch: scenes per step over all ranks together.
    public var batch: Int
    /// Seeds the parameters, the data order and the latent noise.
    public var seed: UInt64
    /// The largest context count drawn (K is uniform in `1...maxContext`).
    public var maxContext: Int
    /// Compute threads (a different count changes float summation order, so resumed runs warn).
    public var threads: Int
    /// The named training schedule (`--schedule`).
    public var schedule: GQNTrainingSchedule.Preset
    /// The step that first trains at the final learning rate (`--anneal-steps`), fixed when the
    /// run starts; nil for schedules of fixed length.
    public var annealSteps: Int?
    /// The pixel sigma the schedule anneals to (`--final-sigma`); nil for the schedule's own (0.7).
    public var finalSigma: Double?
    /// The representation network (`--representation`); nil for the configuration's own.
    public var representation: RepresentationKind?
    /// How context representations combine (`--context-aggregation`); nil for the configuration's own (sum).
    public var contextAggregation: ContextAggregation?
    /// The weight of the prior reconstruction term (`--prior-reconstruction-weight`); nil for
    /// the configuration's own (0: the paper's ELBO alone).
    public var priorReconstructionWeight: Double?

    /// Creates settings.
    public init(
        data: String, split: String, config: GQNConfiguration.Preset, batch: Int, seed: UInt64, maxContext: Int,
        threads: Int, schedule: GQNTrainingSchedule.Preset, annealSteps: Int?, finalSigma: Double? = nil,
        representation: RepresentationKind? = nil, contextAggregation: ContextAggregation? = nil,
        priorReconstructionWeight: Double? = nil
    ) {
        self.data = data
        self.split = split
        self.config = config
        self.batch = batch
        self.seed = seed
        self.maxContext = maxContext
        self.threads = threads
        self.schedule = schedule
        self.annealSteps = annealSteps
        self.finalSigma = finalSigma
        self.representation = representation
        self.contextAggregation = contextAggregation
        self.priorReconstructionWeight = priorReconstructionWeight
    }

    /// The schedule the run trains with.
    public var trainingSchedule: GQNTrainingSchedule {
        var trainingSchedule = GQNTrainingSchedule(preset: schedule, annealSteps: annealSteps ?? 0)
        if let finalSigma { trainingSchedule.pixelStandardDeviation.final = finalSigma }
        return trainingSchedule
    }

    /// The schedule as `fit` arguments.
    public var scheduleArguments: String {
        let named = annealSteps.map { "--schedule \(schedule.rawValue) --anneal-steps \($0)" } ?? "--schedule \(schedule.rawValue)"
        return finalSigma.map { named + " --final-sigma \($0)" } ?? named
    }

    /// What differs from the settings `run` was started with, one phrase per argument
    /// ("--seed 5, found 6"); the thread count is not compared.
    public func differences(from run: RunSettings) -> [String] {
        var found: [String] = []
        func compare<Value: Equatable>(_ flag: String, _ expected: Value, _ actual: Value) {
            if expected != actual { found.append("\(flag) \(expected), found \(actual)") }
        }
        compare("--data", run.data, data)
        compare("--split", run.split, split)
        compare("--config", run.config, config)
        compare("--batch", run.batch, batch)
        compare("--seed", run.seed, seed)
        if run.representation != representation {
            found.append("--representation \(run.representation?.rawValue ?? "(the configuration's)"), found \(representation?.rawValue ?? "(the configuration's)")")
        }
        if run.contextAggregation != contextAggregation {
            found.append("--context-aggregation \(run.contextAggregation?.rawValue ?? "sum"), found \(contextAggregation?.rawValue ?? "sum")")
        }
        if run.priorReconstructionWeight != priorReconstructionWeight {
            found.append(
                "--prior-reconstruction-weight \(run.priorReconstructionWeight ?? 0), found \(priorReconstructionWeight ?? 0)")
        }
        if run.maxContext != maxContext {
            found.append(
                "at most \(run.maxContext) context views, found \(maxContext) (set by --config and the dataset's views per scene)")
        }
        if run.schedule != schedule || run.annealSteps != annealSteps || run.finalSigma != finalSigma {
            found.append("\(run.scheduleArguments), found \(scheduleArguments)")
        }
        return found
    }
}

extension RunSettings {
    /// Reads settings written by any version of `fit`: runs from before `--schedule` have the paper's.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        data = try container.decode(String.self, forKey: .data)
        split = try container.decode(String.self, forKey: .split)
        config = try container.decode(GQNConfiguration.Preset.self, forKey: .config)
        batch = try container.decode(Int.self, forKey: .batch)
        seed = try container.decode(UInt64.self, forKey: .seed)
        maxContext = try container.decode(Int.self, forKey: .maxContext)
        threads = try container.decode(Int.self, forKey: .threads)
        schedule = try container.decodeIfPresent(GQNTrainingSchedule.Preset.self, forKey: .schedule) ?? .paper
        annealSteps = try container.decodeIfPresent(Int.self, forKey: .annealSteps)
        finalSigma = try container.decodeIfPresent(Double.self, forKey: .finalSigma)
        representation = try container.decodeIfPresent(RepresentationKind.self, forKey: .representation)
        contextAggregation = try container.decodeIfPresent(ContextAggregation.self, forKey: .contextAggregation)
        priorReconstructionWeight = try container.decodeIfPresent(Double.self, forKey: .priorReconstructionWeight)
    }
}
