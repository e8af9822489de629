import Tensors

/// S imagined images per query from the prior, and their spread: the model's uncertainty
/// about what the query view shows.
///
/// ```swift
/// let samples = try PriorSamples(
///     model: model, contextImages: batch.contextImages, contextViewpoints: batch.contextViewpoints,
///     queryViewpoints: batch.queryViewpoints, count: 4, latents: .sampled(seed: 7))
/// let variance = samples.variance()   // [B * 3 * H * W], nil for fewer than 2 samples
/// ```
public struct PriorSamples: Sendable {
    /// Where each generation step's latent comes from.
    public enum Latents: Sendable, Equatable {
        /// Drawn from the prior; sample `s` is keyed by `SeedMixer.mix(seed, s)`.
        case sampled(seed: UInt64)
        /// Every sample takes the prior mean, so all samples are equal and the variance is
        /// zero: a check that the variance measures the sampling and nothing else.
        case priorMean
    }

    /// `[S][B * 3 * H * W]`: sample `s`, NCHW, values in [0, 1].
    public let samples: [[Float]]
    /// `[B, 3, H, W]`, the shape of each sample.
    public let shape: [Int]

    /// Draws `count` prior rollouts of every query.
    /// - Parameters:
    ///   - model: The model.
    ///   - contextImages: `[B, K, 3, H, W]`.
    ///   - contextViewpoints: `[B, K, 7]`.
    ///   - queryViewpoints: `[B, 7]`.
    ///   - count: Samples per query, at least 1.
    ///   - latents: Sampled latents, or the prior mean at every step.
    /// - Throws: ``GQNError`` for badly shaped inputs, ``MeasurementError/invalidSetting(name:expected:found:)``
    ///   for `count < 1`.
    public init(
        model: GQNModel, contextImages: Tensor, contextViewpoints: Tensor, queryViewpoints: Tensor, count: Int,
        latents: Latents
    ) throws {
        guard count >= 1 else { throw MeasurementError.invalidSetting(name: "samples", expected: "at least 1", found: "\(count)") }
        var samples: [[Float]] = []
        var shape: [Int] = []
        for index in 0..<count {
            let image: Tensor
            switch latents {
            case .sampled(let seed):
                image = try model.generate(
                    contextImages: contextImages, contextViewpoints: contextViewpoints, queryViewpoints: queryViewpoints,
                    noiseSeed: SeedMixer.mix(seed, UInt64(index)))
            case .priorMean:
                image = try model.generate(
                    contextImages: contextImages, contextViewpoints: contextViewpoints, queryViewpoints: queryViewpoints,
                    usePriorMean: true)
            }
            shape = image.shape
            samples.append(image.scalars)
        }
        self.samples = samples
        self.shape = shape
    }

    /// The number of samples, S.
    public var count: Int { samples.count }

    /// Per pixel value, the unbiased variance across the samples,
    /// `sum_s (x_s - mean)^2 / (S - 1)`, or nil for fewer than two samples.
    /// - Complexity: O(S B 3 H W).
    public func variance() -> [Float]? {
        guard let first = samples.first, samples.count >= 2 else { return nil }
        let s = Double(samples.count)
        var result = [Float](repeating: 0, count: first.count)
        for i in result.indices {
            var sum = 0.0
            for sample in samples { sum += Double(sample[i]) }
            let mean = sum / s
            var squares = 0.0
            for sample in samples {
                let d = Double(sample[i]) - mean
                squares += d * d
            }
            result[i] = Float(squares / (s - 1))
        }
        return result
    }
}
