import Tensors

/// How the model's imagination of one query view changes as context views are added: per
/// context count K, the prior-mean image, S prior samples and their per-pixel variance.
///
/// The context of count K is the scene's views `0..<K`; the query is one fixed other view,
/// so the rows differ only in how much the model has seen.
public struct ContextUncertainty: Sendable {
    /// One context count's imagination of the query.
    public struct Row: Sendable {
        /// Context views, K.
        public var context: Int
        /// `[3, H, W]`, the prior rollout with latents at their means.
        public var priorMean: [Float]
        /// `[S][3, H, W]`, prior samples.
        public var samples: [[Float]]
        /// `[H * W]`, per pixel the variance across the samples, averaged over RGB.
        public var pixelVariance: [Float]
        /// The mean of ``pixelVariance``.
        public var meanVariance: Double
        /// The prior mean's MSE against the query view.
        public var msePriorMean: Double
    }

    /// One row per context count, in the order asked.
    public var rows: [Row]

    /// The variance the largest pixel of any row reaches: a shared ``VarianceHeatMap/maximum``.
    public var largestPixelVariance: Float { rows.flatMap(\.pixelVariance).max() ?? 0 }

    /// Imagines `query` from the first K `views` for every K in `contextCounts`.
    /// - Parameters:
    ///   - model: The model.
    ///   - views: The scene's views as planar `[3, H, W]` images in [0, 1].
    ///   - viewpoints: Their viewpoint vectors (7 numbers each).
    ///   - query: The index of the query view; not below the largest K.
    ///   - contextCounts: The Ks, each at least 1.
    ///   - samples: Prior samples per K, at least 2.
    ///   - seed: Keys the samples (the same for every K).
    /// - Throws: ``MeasurementError/invalidSetting(name:expected:found:)`` for bad settings,
    ///   ``GQNError`` for images that do not fit the model.
    public init(
        model: GQNModel, views: [[Float]], viewpoints: [[Float]], query: Int, contextCounts: [Int], samples: Int,
        seed: UInt64
    ) throws {
        guard samples >= 2 else {
            throw MeasurementError.invalidSetting(name: "samples", expected: "at least 2 (a variance needs two)", found: "\(samples)")
        }
        guard views.count == viewpoints.count, views.indices.contains(query),
            let largest = contextCounts.max(), let smallest = contextCounts.min(), smallest >= 1, largest <= query
        else {
            throw MeasurementError.invalidSetting(
                name: "context", expected: "counts in 1...\(Swift.max(0, query)) (context views come before the query view \(query))",
                found: "\(contextCounts)")
        }
        let size = model.configuration.imageSize
        let truth = views[query]
        rows = try contextCounts.map { k in
            let contextImages = try Tensor(shape: [1, k, 3, size, size], scalars: Array(views[0..<k].joined()))
            let contextViewpoints = try Tensor(shape: [1, k, GQNConfiguration.viewpointSize], scalars: Array(viewpoints[0..<k].joined()))
            let queryViewpoint = try Tensor(shape: [1, GQNConfiguration.viewpointSize], scalars: viewpoints[query])
            let mean = try model.generate(
                contextImages: contextImages, contextViewpoints: contextViewpoints, queryViewpoints: queryViewpoint,
                usePriorMean: true
            ).scalars
            let prior = try PriorSamples(
                model: model, contextImages: contextImages, contextViewpoints: contextViewpoints,
                queryViewpoints: queryViewpoint, count: samples, latents: .sampled(seed: seed))
            let variance = VarianceHeatMap.pixelVariance((prior.variance() ?? [])[...], plane: size * size)
            let mse = zip(mean, truth).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(truth.count)
            return Row(
                context: k, priorMean: mean, samples: prior.samples, pixelVariance: variance,
                meanVariance: variance.reduce(0.0) { $0 + Double($1) } / Double(Swift.max(1, variance.count)),
                msePriorMean: mse)
        }
    }
}
