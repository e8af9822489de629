/// Mean squared errors and sample variance over one set of query pixels: the whole image,
/// the object pixels (instance mask > 0) or the room pixels (mask = 0).
///
/// Every figure is pooled over the split: the sum over every query of the region's squared
/// differences (three values per pixel, in [0, 1]) divided by the number of values, so a
/// query showing many object pixels weighs more than one showing few.
public struct RegionFigures: Codable, Equatable, Sendable {
    /// Query pixels in the region, summed over the scenes.
    public var pixels: Int
    /// The region's share of all query pixels.
    public var pixelFraction: Double
    /// The prior rollout with every latent at its prior mean (the model's best single guess).
    public var msePriorMean: Double
    /// Prior samples, averaged over the S samples.
    public var msePriorSample: Double
    /// The posterior reconstruction (it sees the query image; a reference, not a prediction).
    public var msePosteriorReconstruction: Double
    /// Baseline: the mean of the context images (``ViewBaselines/contextMean(_:)``).
    public var mseBaselineContextMean: Double
    /// Baseline: the context image nearest the query in pose (``ViewBaselines/nearestPose(_:)``).
    public var mseBaselineNearestPose: Double
    /// The mean over the region's pixel values of the variance across the S prior samples
    /// (``PriorSamples/variance()``); nil with fewer than two samples.
    public var sampleVariance: Double?

    /// Creates figures from every field.
    public init(
        pixels: Int, pixelFraction: Double, msePriorMean: Double, msePriorSample: Double,
        msePosteriorReconstruction: Double, mseBaselineContextMean: Double, mseBaselineNearestPose: Double,
        sampleVariance: Double?
    ) {
        self.pixels = pixels
        self.pixelFraction = pixelFraction
        self.msePriorMean = msePriorMean
        self.msePriorSample = msePriorSample
        self.msePosteriorReconstruction = msePosteriorReconstruction
        self.mseBaselineContextMean = mseBaselineContextMean
        self.mseBaselineNearestPose = mseBaselineNearestPose
        self.sampleVariance = sampleVariance
    }

    /// The lower of the two baselines' MSEs: the figure a model has to beat.
    public var betterBaseline: Double { Swift.min(mseBaselineContextMean, mseBaselineNearestPose) }

    enum CodingKeys: String, CodingKey {
        case pixels
        case pixelFraction = "pixel_fraction"
        case msePriorMean = "mse_prior_mean"
        case msePriorSample = "mse_prior_sample"
        case msePosteriorReconstruction = "mse_posterior_reconstruction"
        case mseBaselineContextMean = "mse_baseline_context_mean"
        case mseBaselineNearestPose = "mse_baseline_nearest_pose"
        case sampleVariance = "sample_variance"
    }
}
