/// What ``Evaluation`` measures at one context count K.
public struct EvaluationFigures: Codable, Equatable, Sendable {
    /// Context views per scene.
    public var context: Int
    /// Scenes (queries) evaluated.
    public var scenes: Int
    /// The negative ELBO, NLL + KL, in nats per image (the training loss on held-out data).
    public var elboNatsPerImage: Double
    /// The negative ELBO in bits per dimension: nats per image / (3 H W ln 2).
    public var bitsPerDimension: Double
    /// The Gaussian NLL part, nats per image.
    public var nll: Double
    /// The KL part, nats per image.
    public var kl: Double
    /// `nll - nll_floor`: what a better mean could still gain at this sigma (the NLL never
    /// falls below the floor, so a loss "plateauing" near it is a good fit, not a bug).
    public var nllAboveFloor: Double
    /// Every query pixel.
    public var image: RegionFigures
    /// Query pixels showing an object (instance mask > 0); nil when the dataset has no masks
    /// or no query shows an object.
    public var objects: RegionFigures?
    /// Query pixels showing the room (mask = 0); nil when the dataset has no masks.
    public var room: RegionFigures?

    /// Creates figures from every field.
    public init(
        context: Int, scenes: Int, elboNatsPerImage: Double, bitsPerDimension: Double, nll: Double, kl: Double,
        nllAboveFloor: Double, image: RegionFigures, objects: RegionFigures?, room: RegionFigures?
    ) {
        self.context = context
        self.scenes = scenes
        self.elboNatsPerImage = elboNatsPerImage
        self.bitsPerDimension = bitsPerDimension
        self.nll = nll
        self.kl = kl
        self.nllAboveFloor = nllAboveFloor
        self.image = image
        self.objects = objects
        self.room = room
    }

    enum CodingKeys: String, CodingKey {
        case context, scenes, nll, kl, image, objects, room
        case elboNatsPerImage = "elbo_nats_per_image"
        case bitsPerDimension = "bits_per_dim"
        case nllAboveFloor = "nll_above_floor"
    }
}
