import Tensors

/// One training or evaluation batch: context views of each scene and one query view.
///
/// All images are Float32 NCHW in [0, 1]; viewpoints are
/// `[x, y, z, cos yaw, sin yaw, cos pitch, sin pitch]`.
public struct GQNTensorBatch {
    /// `[B, K, 3, H, W]`, the context images (K may be smaller than the configuration's maximum).
    public var contextImages: Tensor
    /// `[B, K, 7]`, the context viewpoints.
    public var contextViewpoints: Tensor
    /// `[B, 3, H, W]`, the query images.
    public var queryImages: Tensor
    /// `[B, 7]`, the query viewpoints.
    public var queryViewpoints: Tensor

    /// Creates a batch from its four tensors (shapes are checked when the model reads it).
    public init(contextImages: Tensor, contextViewpoints: Tensor, queryImages: Tensor, queryViewpoints: Tensor) {
        self.contextImages = contextImages
        self.contextViewpoints = contextViewpoints
        self.queryImages = queryImages
        self.queryViewpoints = queryViewpoints
    }

    /// The number of scenes.
    public var batchSize: Int { queryImages.shape.first ?? 0 }
    /// The number of context views per scene.
    public var contextViews: Int { contextImages.shape.count > 1 ? contextImages.shape[1] : 0 }
}

/// The evidence lower bound of one forward pass, in nats per image averaged over the batch.
public struct GQNLoss {
    /// The scalar objective `mean_b (nll_b + kl_b + w * priorNLL_b)` (`w` the configuration's
    /// ``GQNConfiguration/priorReconstructionWeight``, the last term absent when it is 0);
    /// tracked when the pass ran on a tape.
    public let loss: Tensor
    /// `[B]`, the Gaussian negative log-likelihood of each query image, summed over pixels.
    public let negativeLogLikelihood: Tensor
    /// `[B]`, KL(posterior || prior) of each scene, summed over latents and steps.
    public let kl: Tensor
    /// `[B]`, the negative log-likelihood of each query image rendered with the prior-mean
    /// latents; nil when the objective has no prior reconstruction term.
    public let priorNegativeLogLikelihood: Tensor?
    /// `[B, 3, H, W]`, the predicted image means (posterior latents).
    public let mean: Tensor
    /// `[B, 3, H, W]`, the image means rendered from the prior-mean latents, which the prior
    /// reconstruction term scores; nil when the objective has no such term.
    public let priorMean: Tensor?

    /// The loss's value.
    public var lossValue: Float { loss.scalar ?? .nan }
    /// The batch mean of the negative log-likelihood.
    public var negativeLogLikelihoodValue: Float { average(negativeLogLikelihood) }
    /// The batch mean of the KL divergence.
    public var klValue: Float { average(kl) }
    /// The batch mean of the prior reconstruction's negative log-likelihood, nil without the term.
    public var priorNegativeLogLikelihoodValue: Float? { priorNegativeLogLikelihood.map(average) }

    private func average(_ t: Tensor) -> Float {
        t.withUnsafeBufferPointer { values in values.isEmpty ? .nan : values.reduce(0, +) / Float(values.count) }
    }
}

/// A Generative Query Network (Eslami et al., Science 2018): a representation network
/// that summarises context views of a scene, and a ConvDRAW generator that renders the
/// scene from a query viewpoint.
///
/// The model owns its parameters (``parameters``, one flat ``/Tensors/ParameterSet``); its
/// functions are pure given the parameters and a noise seed.
public final class GQNModel {
    /// The architecture.
    public let configuration: GQNConfiguration
    /// Every trainable parameter, named like `representation.conv1.weight`.
    public let parameters: ParameterSet
    /// How the gate convolutions are evaluated (both give the same values).
    public var gateComputation: GateComputation = .precomputed
    let representationNetwork: RepresentationNetwork
    let generator: Generator

    /// Creates a model with freshly initialised parameters (PyTorch's default initialisation).
    /// - Parameters:
    ///   - configuration: The architecture; validated first.
    ///   - seed: Seeds the initial parameter values.
    /// - Throws: ``GQNError/invalidConfiguration(_:)`` when the configuration does not fit together.
    public init(configuration: GQNConfiguration, seed: UInt64) throws {
        try configuration.validate()
        self.configuration = configuration
        parameters = ParameterSet(seed: seed)
        representationNetwork = try RepresentationNetwork(configuration, in: parameters)
        generator = try Generator(configuration, in: parameters)
    }

    /// The number of trainable scalars.
    public var parameterCount: Int {
        parameters.names.compactMap { parameters.parameter(named: $0) }.reduce(0) {
            $0 + parameters.shape(of: $1).reduce(1, *)
        }
    }

    /// The scene representation: the representation network on every context view, summed
    /// over views (or averaged, ``GQNConfiguration/contextAggregation``).
    /// - Parameters:
    ///   - contextImages: `[B, K, 3, H, W]`.
    ///   - contextViewpoints: `[B, K, 7]`.
    ///   - tracked: The step's tracked parameters, or `nil` to use the plain values.
    /// - Returns: `[B, r, H/4, W/4]` (tower) or `[B, r, 1, 1]` (pool, pyramid).
    /// - Throws: ``GQNError/shapeMismatch(argument:expected:found:)`` for badly shaped inputs.
    public func representation(
        contextImages: Tensor, contextViewpoints: Tensor, tracked: TrackedParameters? = nil
    ) throws -> Tensor {
        let size = configuration.imageSize
        let shape = contextImages.shape
        guard shape.count == 5, shape[1] >= 1, Array(shape[2...]) == [3, size, size] else {
            throw GQNError.shapeMismatch(argument: "contextImages", expected: [-1, -1, 3, size, size], found: shape)
        }
        let (batch, views) = (shape[0], shape[1])
        guard contextViewpoints.shape == [batch, views, GQNConfiguration.viewpointSize] else {
            throw GQNError.shapeMismatch(
                argument: "contextViewpoints", expected: [batch, views, GQNConfiguration.viewpointSize],
                found: contextViewpoints.shape)
        }
        let source = ParameterSource(set: parameters, tracked: tracked)
        let encoded = try representationNetwork.encode(
            images: try contextImages.reshaped(to: [batch * views, 3, size, size]),
            viewpoints: try contextViewpoints.reshaped(to: [batch * views, GQNConfiguration.viewpointSize]), source)
        let perView = Array(encoded.shape[1...])
        let stacked = try encoded.reshaped(to: [batch, views, perView.reduce(1, *)])
        let combined = switch configuration.contextAggregation {
        case .sum: try stacked.sum(alongAxis: 1)
        case .mean: try stacked.mean(alongAxis: 1)
        }
        return try combined.reshaped(to: [batch] + perView)
    }

    /// The training objective of a batch: the negative ELBO (Gaussian NLL of the query image
    /// at the pixel sigma, plus KL), and with a ``GQNConfiguration/priorReconstructionWeight``
    /// `w > 0` also `w` times the NLL of the query rendered from the prior-mean latents (a
    /// second generator rollout that never sees the query image).
    /// - Parameters:
    ///   - batch: Context views and query views.
    ///   - pixelStandardDeviation: The likelihood's sigma (annealed during training).
    ///   - noiseSeed: Keys the latent noise; equal seeds give equal losses.
    ///   - tracked: The step's tracked parameters (for training), or `nil`.
    ///   - share: Which rows of a global batch `batch` holds (data-parallel training), so the
    ///     latent noise is theirs; nil when the batch is the whole of its own.
    /// - Returns: The loss and its parts.
    /// - Throws: ``GQNError`` for badly shaped inputs, ``/Tensors/TensorError`` from the engine.
    public func loss(
        _ batch: GQNTensorBatch, pixelStandardDeviation: Float, noiseSeed: UInt64, tracked: TrackedParameters? = nil,
        share: BatchShare? = nil
    ) throws -> GQNLoss {
        try checkQuery(batch.queryViewpoints, batch: batch.batchSize)
        try checkImages(batch.queryImages, batch: batch.batchSize)
        let r = try representation(
            contextImages: batch.contextImages, contextViewpoints: batch.contextViewpoints, tracked: tracked)
        let rollout = try generator.rollout(
            representation: r, viewpoint: batch.queryViewpoints, image: batch.queryImages, mode: .posterior,
            noiseSeed: noiseSeed, share: share, gates: gateComputation, ParameterSource(set: parameters, tracked: tracked))
        let nll = try Tensor.gaussianNegativeLogLikelihood(
            of: batch.queryImages, mean: rollout.mean, standardDeviation: pixelStandardDeviation)
        let kl = rollout.kl ?? Tensor(shape: [batch.batchSize])
        var objective = try nll + kl
        var priorNLL: Tensor?
        var priorPrediction: Tensor?
        let weight = configuration.priorReconstructionWeight
        if weight > 0 {
            let predicted = try generator.rollout(
                representation: r, viewpoint: batch.queryViewpoints, image: nil, mode: .prior(useMean: true),
                noiseSeed: noiseSeed, share: share, gates: gateComputation, ParameterSource(set: parameters, tracked: tracked))
            let priorTerm = try Tensor.gaussianNegativeLogLikelihood(
                of: batch.queryImages, mean: predicted.mean, standardDeviation: pixelStandardDeviation)
            objective = try objective + priorTerm * Float(weight)
            priorNLL = priorTerm
            priorPrediction = predicted.mean
        }
        return GQNLoss(
            loss: objective.mean(), negativeLogLikelihood: nll, kl: kl, priorNegativeLogLikelihood: priorNLL,
            mean: rollout.mean, priorMean: priorPrediction)
    }

    /// Renders the scene from query viewpoints with latents from the prior (imagination).
    /// - Parameters:
    ///   - contextImages: `[B, K, 3, H, W]`.
    ///   - contextViewpoints: `[B, K, 7]`.
    ///   - queryViewpoints: `[B, 7]`.
    ///   - usePriorMean: Take each step's prior mean instead of sampling it.
    ///   - noiseSeed: Keys the samples (unused with `usePriorMean`).
    /// - Returns: `[B, 3, H, W]`, the image means in [0, 1].
    public func generate(
        contextImages: Tensor, contextViewpoints: Tensor, queryViewpoints: Tensor, usePriorMean: Bool = false,
        noiseSeed: UInt64 = 0
    ) throws -> Tensor {
        let r = try representation(contextImages: contextImages, contextViewpoints: contextViewpoints)
        try checkQuery(queryViewpoints, batch: r.shape[0])
        return try generator.rollout(
            representation: r, viewpoint: queryViewpoints, image: nil, mode: .prior(useMean: usePriorMean),
            noiseSeed: noiseSeed, gates: gateComputation, ParameterSource(set: parameters, tracked: nil)
        ).mean
    }

    /// Reconstructs the query images with latents from the posterior (which sees them).
    /// - Parameters:
    ///   - batch: Context views and query views.
    ///   - noiseSeed: Keys the posterior samples.
    /// - Returns: `[B, 3, H, W]`, the image means in [0, 1].
    public func reconstruct(_ batch: GQNTensorBatch, noiseSeed: UInt64 = 0) throws -> Tensor {
        try loss(batch, pixelStandardDeviation: 1, noiseSeed: noiseSeed).mean
    }

    /// The latent noise that ``loss(_:pixelStandardDeviation:noiseSeed:tracked:share:)`` and
    /// ``generate(contextImages:contextViewpoints:queryViewpoints:usePriorMean:noiseSeed:)``
    /// draw for `noiseSeed`: one standard normal tensor `eps` per generation step, used as
    /// `z = mean + std * eps`.
    ///
    /// For reference implementations that must reproduce a pass exactly (the PyTorch check
    /// of `gqn-train write-reference-fixture`); the model itself never needs it.
    /// - Parameters:
    ///   - batchSize: Scenes per batch.
    ///   - noiseSeed: The seed given to the pass.
    /// - Returns: ``GQNConfiguration/steps`` tensors of shape `[batchSize, z, g, g]`, step 0 first.
    public func latentNoise(batchSize: Int, noiseSeed: UInt64) -> [Tensor] {
        (0..<configuration.steps).compactMap { try? generator.latentNoise(step: $0, batch: batchSize, noiseSeed: noiseSeed) }
    }

    /// Analytic forward flops of all convolutions for one batch.
    /// - Parameters:
    ///   - batchSize: Scenes per batch.
    ///   - contextViews: Context views per scene.
    ///   - gates: The gate evaluation to count (``GateComputation/naive`` is what other GQNs run).
    /// - Returns: Flops (a multiply-add counts 2). A training step costs about three times this.
    public func forwardFlops(batchSize: Int, contextViews: Int, gates: GateComputation) -> Double {
        representationNetwork.forwardFlops(images: batchSize * contextViews, imageSize: configuration.imageSize)
            + generator.forwardFlops(batch: batchSize, gates: gates)
    }

    private func checkQuery(_ viewpoints: Tensor, batch: Int) throws {
        guard viewpoints.shape == [batch, GQNConfiguration.viewpointSize] else {
            throw GQNError.shapeMismatch(
                argument: "queryViewpoints", expected: [batch, GQNConfiguration.viewpointSize], found: viewpoints.shape)
        }
    }

    private func checkImages(_ images: Tensor, batch: Int) throws {
        let size = configuration.imageSize
        guard images.shape == [batch, 3, size, size] else {
            throw GQNError.shapeMismatch(argument: "queryImages", expected: [batch, 3, size, size], found: images.shape)
        }
    }
}
