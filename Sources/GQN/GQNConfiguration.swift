/// The representation network that turns one context view into a representation.
public enum RepresentationKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Eslami et al. Fig. S1: a grid of `r` channels at `image / 4` resolution.
    case tower
    /// The tower averaged over its grid to `[r, 1, 1]`.
    case pool
    /// The viewpoint concatenated to the image, then stride-2 convolutions down to `[r, 1, 1]`.
    case pyramid
}

/// The architecture and training schedule of a Generative Query Network.
///
/// The three presets are the reference configurations of DESIGN.md section 5; every
/// field is an ordinary stored property, so variants (test-sized models, unshared
/// cores, other schedules) are built by copying a preset and changing fields.
public struct GQNConfiguration: Sendable, Hashable, Codable {
    /// The preset's name (`tiny`, `small`, `paper`, or anything for a custom model).
    public var name: String
    /// The side of the square query and context images, in pixels.
    public var imageSize: Int
    /// The representation's channels `r`.
    public var representationChannels: Int
    /// The hidden (and cell) channels `h` of both ConvLSTM cores.
    public var hiddenChannels: Int
    /// The latent channels `z` per step.
    public var latentChannels: Int
    /// The number of generation steps `L`.
    public var steps: Int
    /// The kernel of the core, prior and posterior convolutions (odd, "same" padding).
    public var lstmKernel: Int
    /// The factor between the image and the generator's state grid.
    public var scale: Int
    /// Which representation network to use.
    public var representation: RepresentationKind
    /// How the context views' representations combine (summed in every preset, as in the paper).
    public var contextAggregation: ContextAggregation
    /// The training batch size.
    public var batchSize: Int
    /// The most context views per scene.
    public var maxContextViews: Int
    /// Whether the L generation steps share one inference core, one generator core and
    /// one canvas upsampler (`true`, the paper's and our default) or each step has its own.
    public var sharedCores: Bool
    /// The annealing schedules and Adam constants.
    public var schedule: GQNTrainingSchedule
    /// The weight `w` of the prior reconstruction term in the training objective (0 in every
    /// preset, the paper's ELBO alone): `w` times the NLL of the query image rendered with
    /// each step's prior-mean latents, so the representation and the prior learn to predict
    /// the query from the context directly, not only through the KL (Sohn et al. 2015's
    /// hybrid objective for conditional generative models).
    public var priorReconstructionWeight: Double

    /// The viewpoint vector's length: `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`.
    public static let viewpointSize = 7

    /// Creates a configuration from every field.
    public init(
        name: String, imageSize: Int, representationChannels: Int, hiddenChannels: Int, latentChannels: Int,
        steps: Int, lstmKernel: Int, scale: Int, representation: RepresentationKind, batchSize: Int,
        maxContextViews: Int, sharedCores: Bool = true, schedule: GQNTrainingSchedule = .paper,
        contextAggregation: ContextAggregation = .sum, priorReconstructionWeight: Double = 0
    ) {
        self.name = name
        self.imageSize = imageSize
        self.representationChannels = representationChannels
        self.hiddenChannels = hiddenChannels
        self.latentChannels = latentChannels
        self.steps = steps
        self.lstmKernel = lstmKernel
        self.scale = scale
        self.representation = representation
        self.contextAggregation = contextAggregation
        self.batchSize = batchSize
        self.maxContextViews = maxContextViews
        self.sharedCores = sharedCores
        self.schedule = schedule
        self.priorReconstructionWeight = priorReconstructionWeight
    }

    /// 32x32, r 64, h 32, z 8, L 4, kernel 3, scale 4, pool, batch 16, up to 3 context views.
    public static let tiny = GQNConfiguration(
        name: "tiny", imageSize: 32, representationChannels: 64, hiddenChannels: 32, latentChannels: 8, steps: 4,
        lstmKernel: 3, scale: 4, representation: .pool, batchSize: 16, maxContextViews: 3)

    /// 32x32, r 128, h 64, z 16, L 6, kernel 5, scale 4, tower, batch 16, up to 5 context views.
    public static let small = GQNConfiguration(
        name: "small", imageSize: 32, representationChannels: 128, hiddenChannels: 64, latentChannels: 16, steps: 6,
        lstmKernel: 5, scale: 4, representation: .tower, batchSize: 16, maxContextViews: 5)

    /// 64x64, r 256, h 128, z 64, L 12, kernel 5, scale 4, tower, batch 36, up to 5 context views.
    public static let paper = GQNConfiguration(
        name: "paper", imageSize: 64, representationChannels: 256, hiddenChannels: 128, latentChannels: 64,
        steps: 12, lstmKernel: 5, scale: 4, representation: .tower, batchSize: 36, maxContextViews: 5)

    /// The presets by name.
    public static var presets: [String: GQNConfiguration] {
        Dictionary(uniqueKeysWithValues: Preset.allCases.map { ($0.rawValue, $0.configuration) })
    }

    /// The side of the generator's state grid, `imageSize / scale`.
    public var gridSize: Int { imageSize / scale }

    /// The side of the representation: the tower's grid (`imageSize / 4`) or 1 for pool and pyramid.
    public var representationSize: Int { representation == .tower ? imageSize / 4 : 1 }

    /// Checks that the sizes fit together.
    /// - Throws: ``GQNError/invalidConfiguration(_:)`` naming the first field that does not.
    public func validate() throws {
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw GQNError.invalidConfiguration("\(name): \(message())") }
        }
        for (field, value) in [
            ("imageSize", imageSize), ("representationChannels", representationChannels),
            ("hiddenChannels", hiddenChannels), ("latentChannels", latentChannels), ("steps", steps),
            ("lstmKernel", lstmKernel), ("scale", scale), ("batchSize", batchSize), ("maxContextViews", maxContextViews),
        ] {
            try require(value >= 1, "expected \(field) >= 1, found \(value)")
        }
        try require(lstmKernel % 2 == 1, "expected an odd lstmKernel (same padding), found \(lstmKernel)")
        try require(imageSize % scale == 0, "expected imageSize divisible by scale \(scale), found \(imageSize)")
        try require(imageSize % 8 == 0, "expected imageSize divisible by 8 (tower and pyramid strides), found \(imageSize)")
        try require(
            representationChannels % 2 == 0, "expected an even representationChannels (the tower halves it), found \(representationChannels)")
        if representation == .tower {
            try require(
                imageSize / 4 == gridSize,
                "expected scale 4 with the tower representation (its grid is imageSize / 4), found scale \(scale)")
        }
        try require(
            priorReconstructionWeight >= 0 && priorReconstructionWeight.isFinite,
            "expected a finite priorReconstructionWeight >= 0, found \(priorReconstructionWeight)")
        try schedule.validate()
    }
}

/// An error in the GQN model's inputs or configuration.
public enum GQNError: Error, Equatable, CustomStringConvertible {
    /// A configuration whose sizes do not fit together.
    case invalidConfiguration(String)
    /// A batch tensor with the wrong shape.
    case shapeMismatch(argument: String, expected: [Int], found: [Int])
    /// A checkpoint that does not match the model.
    case checkpointMismatch(path: String, detail: String)

    public var description: String {
        switch self {
        case let .invalidConfiguration(message): return "invalid GQN configuration: \(message)"
        case let .shapeMismatch(argument, expected, found):
            return "\(argument): expected shape \(expected), found \(found)"
        case let .checkpointMismatch(path, detail): return "\(path): \(detail)"
        }
    }
}
