/// What ``Evaluation`` reports for a checkpoint on a split: the settings, one
/// ``EvaluationFigures`` per context count, and notes on what could not be measured.
public struct EvaluationReport: Codable, Equatable, Sendable {
    /// The checkpoint file evaluated.
    public var checkpoint: String
    /// The dataset directory.
    public var data: String
    /// The split evaluated.
    public var split: String
    /// The configuration's name.
    public var config: String
    /// Training steps of the checkpoint.
    public var step: Int
    /// The pixel sigma of the checkpoint's step (the one the ELBO is measured with).
    public var sigma: Double
    /// The NLL floor at that sigma, nats per image: `0.5 * 3HW * ln(2 pi sigma^2)`.
    public var nllFloor: Double
    /// The fixed seed of view choice and latent noise (evaluation is deterministic).
    public var evalSeed: UInt64
    /// Prior samples per query (``RegionFigures/msePriorSample`` averages them; the variance
    /// needs at least two).
    public var samples: Int
    /// Whether the dataset has instance masks, so that object and room pixels are measured apart.
    public var masks: Bool
    /// What was not measured and why, in words.
    public var notes: [String]
    /// One entry per context count evaluated.
    public var results: [EvaluationFigures]

    /// Creates a report from every field.
    public init(
        checkpoint: String, data: String, split: String, config: String, step: Int, sigma: Double, nllFloor: Double,
        evalSeed: UInt64, samples: Int, masks: Bool, notes: [String], results: [EvaluationFigures]
    ) {
        self.checkpoint = checkpoint
        self.data = data
        self.split = split
        self.config = config
        self.step = step
        self.sigma = sigma
        self.nllFloor = nllFloor
        self.evalSeed = evalSeed
        self.samples = samples
        self.masks = masks
        self.notes = notes
        self.results = results
    }

    enum CodingKeys: String, CodingKey {
        case checkpoint, data, split, config, step, sigma, samples, masks, notes, results
        case nllFloor = "nll_floor"
        case evalSeed = "eval_seed"
    }
}
